"""Options shared by several verbs, in groups a verb takes only where they apply, and how they become one config.

Groups: the label options (``source_args``), the model and training shortcuts (``model_args``,
``training_args``) and the config options (``config_args``: ``--config FILE`` and any ``--section.key=value``,
e.g. ``--model.widths=[32,64,128]``, applied after the YAML). Shortcuts such as ``--epochs`` are applied last.
Each shortcut sets one config key, and its --help shows that key's default (:mod:`toonlab.cli.help`).
"""

from __future__ import annotations

import argparse
import functools
import os

from toonlab.cli.help import CONFIG_POINTER, Base, config_option
from toonlab.errors import ToonlabError


def console_args(p: argparse.ArgumentParser) -> None:
    """``-q/--quiet`` and ``--no-progress``, on every verb (see :mod:`toonlab.progress`)."""
    p.add_argument("-q", "--quiet", action="store_true", help="Only warnings and the result: no epoch lines, "
                   "no progress.")
    p.add_argument("--no-progress", action="store_true", help="No progress bars or lines (epoch lines stay); "
                   "without a terminal there is never a bar.")


def show_progress(args: argparse.Namespace) -> bool:
    """False with ``--quiet`` or ``--no-progress``: the value of the library's ``progress`` argument."""
    return not (getattr(args, "quiet", False) or getattr(args, "no_progress", False))


def source_args(p: argparse.ArgumentParser, *, base: Base = None) -> argparse._ArgumentGroup:
    """How labels are read (check, train, eval, tune, compare, augment-preview; YAML: the data section).

    ``base``: where the defaults shown in --help come from (see :mod:`toonlab.cli.help`).
    """
    g = p.add_argument_group("data and labels", "How images and labels are read from DATA (YAML: the data section).")
    opt = functools.partial(config_option, g, base=base)
    opt("--source", key="data.source", help="Label source: auto (detected from DATA's layout and printed), cartoonset, manifest, folders or filename")
    opt("--labels", key="data.labels", metavar="FILE",
        help="source=manifest: the CSV/TSV file with a file column and label columns")
    opt("--file-column", key="data.file_column", metavar="NAME", help="source=manifest: the column holding image paths")
    opt("--pattern", key="data.pattern", metavar="REGEX", help="source=filename: regex with named groups over each "
        "path, e.g. '(?P<artist>[a-z]+)_\\d+\\.jpg$'")
    opt("--tasks", key="data.tasks", help="Comma list of tasks, or 'all'. Combined tasks are named 'a+b'")
    opt("--regression", key="data.regression", metavar="TASKS",
        help="Comma list of tasks read as numbers and trained as regression")
    opt("--combine", key="data.combine", metavar="TASKS",
        help="Comma list of combined tasks 'a+b' (one class per combination)")
    opt("--group", key="data.group", help="Task, column or regex group whose value groups images (never split apart)")
    opt("--group-column", key="data.group", dest="group", help=argparse.SUPPRESS)  # the manifest's name for --group
    opt("--visibility", key="data.visibility", metavar="FILE",
        help="CSV of labels not drawn per image: 'file' and a 0/1 column per task; 'none' = read none",
        means={"": "visibility.csv or hidden.csv, if present"})
    opt("--duplicates", key="data.duplicates", choices=["report", "group", "drop", "drop-conflicts"],
        help="Exact/near-duplicate images: report (default), group (same split), drop (keep one), "
        "drop-conflicts (also none of copies whose labels disagree).")
    opt("--exclude", key="data.exclude", metavar="CSV", help="Leave out the images in this CSV's 'file' column "
        "(e.g. an audit.csv), reported as skipped")
    opt("--limit", key="data.limit", type=int, metavar="N", help="Use only the first N images", means={0: "all"})
    return g


def model_args(p: argparse.ArgumentParser, *, base: Base = None, weights: bool = True) -> argparse._ArgumentGroup:
    """The model shortcuts: --mode, --image-size and (for pretrained backbones) --weights."""
    g = p.add_argument_group("model")
    opt = functools.partial(config_option, g, base=base)
    opt("--mode", key="train.mode", choices=["shared", "separate"], help="One multi-head network, or one per task")
    opt("--image-size", key="data.image_size", type=int, metavar="PX", help="Training image size in pixels",
        means={0: "the model's recommended size"})
    if weights:
        opt("--weights", key="model.weights", help="Pretrained backbones: 'imagenet' (a local cache, never "
            "downloaded), a weights file, or 'none'")
    return g


def training_args(p: argparse.ArgumentParser, *, base: Base = None, folds: bool = True,
                  repeats: bool = True) -> argparse._ArgumentGroup:
    """The training shortcuts; ``folds``/``repeats`` False leave out --folds/--repeats where they do not apply."""
    g = p.add_argument_group("training")
    opt = functools.partial(config_option, g, base=base)
    opt("--epochs", key="train.epochs", type=int, metavar="N", help="Maximum epochs",
        means={0: "follow the data size"})
    opt("--budget", key="train.budget", metavar="TIME", help="Training time, e.g. 10m: epochs chosen to end within "
        "it")
    opt("--lr", key="train.lr", type=float, help="Learning rate")
    opt("--batch-size", key="train.batch_size", type=int, metavar="N", help="Images per step (the global batch, "
        "split across processes)")
    opt("--seed", key="train.seed", type=int, help="Seed for split, initialisation and data order")
    if folds:
        opt("--folds", key="data.folds", type=int, metavar="K", help="k-fold cross-validation: train K models, each "
            "tested on one fold", means={0: "one train/val/test split"})
    if repeats:
        opt("--repeats", key="train.repeats", type=int, metavar="N", help="Train N times with seeds "
            "seed..seed+N-1 on one split; report mean ± std")
    return g


def config_args(p: argparse.ArgumentParser, *, base: str = "the built-in defaults") -> None:
    """--config FILE and --section.key=value overrides; --help ends with a pointer to `toonlab config`."""
    p.add_argument("--config", metavar="FILE", help="YAML config (sections data/model/train/augment/eval; "
                   f"--section.key=value overrides it); default: none, {base}.")
    p.set_defaults(takes_overrides=True)
    p.epilog = CONFIG_POINTER


def resolve(args: argparse.Namespace, *, base=None, base_run: str | None = None, check: bool = True):
    """Defaults (or a recipe / a resumed run's config) < --config YAML < --section.key=value < shortcuts, validated
    once at the end (:func:`toonlab.config.resolve_config`); ``check=False`` for a template that is validated
    per variant (``toonlab compare``)."""
    from toonlab.config import resolve_config  # lazy: `toonlab --help` stays fast
    from toonlab.runs import load_run_config

    if base_run is not None:
        base = load_run_config(base_run)
    shortcuts = {"data.path": getattr(args, "data", None), "train.mode": getattr(args, "mode", None),
                 "train.epochs": getattr(args, "epochs", None), "data.image_size": getattr(args, "image_size", None),
                 "data.folds": getattr(args, "folds", None),
                 "train.repeats": getattr(args, "repeats", None), "train.seed": getattr(args, "seed", None),
                 "train.batch_size": getattr(args, "batch_size", None), "train.lr": getattr(args, "lr", None),
                 "model.weights": getattr(args, "weights", None), "train.budget": getattr(args, "budget", None),
                 **source_options(args), "train.progress": None if show_progress(args) else False}
    return resolve_config(base=base, yaml_path=args.config, overrides=args.overrides, options=shortcuts, check=check)


def out_folder(args: argparse.Namespace, data: str | None, *, prefix: str = "", say: str = "Run folder") -> None:
    """Set ``args.out`` to the default run folder when it is not given, and print it (once, not per process)."""
    from toonlab.runs import default_run_dir  # lazy: `toonlab --help` stays fast
    from toonlab.train import launch

    if args.out is None:
        if args.resume:
            raise ToonlabError(f"--resume continues an earlier run: name its folder with --out, e.g. `toonlab "
                               f"{args.verb} DATA --resume --out runs/faces-20261203-093005` (the folder printed when "
                               "it started).")
        if launch.world_size() > 1 and launch.LAUNCHED not in os.environ:
            raise ToonlabError("Under torchrun every process would pick its own default run folder: name one with "
                               "--out RUN.")
        args.out = str(default_run_dir(data, prefix=prefix))
        args.argv = [*args.argv, "--out", args.out]  # the --nproc copies and metrics.json's command use this folder
    if not args.quiet and launch.rank() == 0 and launch.LAUNCHED not in os.environ:
        print(f"{say}: {args.out}", flush=True)


def source_options(args: argparse.Namespace) -> dict[str, object]:
    """The label options given on the command line, as ``data.*`` keys (None = not given)."""
    names = ("source", "labels", "file_column", "pattern", "tasks", "regression", "combine", "group",
             "visibility", "duplicates", "exclude", "limit")
    return {f"data.{n}": getattr(args, n, None) for n in names}


def parse_overrides(extra: list[str], *, allowed: bool, verb: str = "VERB") -> list[str]:
    """Turn leftover ``--section.key=value`` / ``--section.key value`` words into overrides."""
    out, i = [], 0
    while i < len(extra):
        word = extra[i]
        if not (allowed and word.startswith("--") and "." in word.split("=", 1)[0]):
            keys = " Config keys are given as --section.key=value, e.g. --train.lr=0.001." if allowed else ""
            raise ToonlabError(f"Unrecognised argument {word!r}: `toonlab {verb}` does not take it; "
                               f"`toonlab {verb} --help` lists the options it takes.{keys}")
        if "=" not in word:
            if i + 1 >= len(extra):
                raise ToonlabError(f"{word} needs a value, e.g. {word}=VALUE.")
            word, i = f"{word}={extra[i + 1]}", i + 1
        out.append(word[2:])
        i += 1
    return out
