"""Options shared by several verbs: the label options, the config options, and how they become one config.

Config options on ``train``/``demo``/``compare``/``augment-preview``: ``--config FILE`` (YAML) and any
``--section.key=value`` (e.g. ``--model.widths=[32,64,128]``), applied after the YAML; shortcuts such as
``--epochs`` are applied last.
"""

from __future__ import annotations

import argparse

from toonlab.errors import ToonlabError


def console_args(p: argparse.ArgumentParser) -> None:
    """``-q/--quiet`` and ``--no-progress``, on every verb (see :mod:`toonlab.progress`)."""
    p.add_argument("-q", "--quiet", action="store_true", help="Only warnings and the result: no epoch lines, "
                   "no progress.")
    p.add_argument("--no-progress", action="store_true", help="No progress bars or progress lines (epoch lines "
                   "stay). Without a terminal (a log file, CI) there is never a bar, only a few plain lines.")


def show_progress(args: argparse.Namespace) -> bool:
    """False with ``--quiet`` or ``--no-progress``: the value of the library's ``progress`` argument."""
    return not (getattr(args, "quiet", False) or getattr(args, "no_progress", False))


def source_args(p: argparse.ArgumentParser) -> None:
    """How labels are read (the same options for check, train, eval, demo and in YAML under data:)."""
    g = p.add_argument_group("labels", "How labels are read from DATA (YAML: the data section).")
    g.add_argument("--source", help="Label source: cartoonset (default), manifest, folders or filename.")
    g.add_argument("--labels", help="source=manifest: the CSV/TSV file with a file column and label columns.")
    g.add_argument("--file-column", help="source=manifest: the column holding image paths (default 'file').")
    g.add_argument("--pattern", help="source=filename: regex with named groups over each path, e.g. "
                   "'(?P<artist>[a-z]+)_\\d+\\.jpg$'.")
    g.add_argument("--tasks", help="Comma list of tasks, or 'all' (default). Combined tasks are named 'a+b'.")
    g.add_argument("--regression", help="Comma list of tasks read as numbers and trained as regression.")
    g.add_argument("--combine", help="Comma list of combined tasks 'a+b' (one class per combination).")
    g.add_argument("--group", help="Task, column or regex group whose value groups images (never split apart).")
    g.add_argument("--group-column", dest="group", help="source=manifest: same as --group.")
    g.add_argument("--visibility", metavar="FILE",
                   help="CSV of labels not drawn per image: a 'file' column and one 0/1 column per task (1 = drawn, "
                   "0 = not drawn); default DATA/visibility.csv, visibility.csv beside the manifest or DATA/hidden.csv "
                   "if present; 'none' = none. Metrics add the accuracy where drawn.")
    g.add_argument("--duplicates", choices=["report", "group", "drop"],
                   help="Exact/near-duplicate images: report (default), group (same split) or drop (keep one).")
    g.add_argument("--limit", type=int, help="Use only the first N images.")


def config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="YAML config (sections data/model/train/augment/eval); "
                   "--section.key=value overrides it.")
    source_args(p)
    p.add_argument("--mode", choices=["shared", "separate"], help="One multi-head network, or one per task.")
    p.add_argument("--epochs", type=int, help="Maximum epochs (default: follow the data size).")
    p.add_argument("--budget", help="Wall-clock budget for training, e.g. 10m: the first steps are timed and the "
                   "number of epochs chosen to end within it.")
    p.add_argument("--image-size", type=int, help="Training image size in pixels.")
    p.add_argument("--folds", type=int, help="k-fold cross-validation: train K models, each tested on one fold.")
    p.add_argument("--repeats", type=int, help="Train N times with seeds seed..seed+N-1; report mean ± std.")
    p.add_argument("--seed", type=int, help="Seed for split, initialisation and data order.")
    p.add_argument("--batch-size", type=int, help="Images per step (with --nproc: the global batch).")
    p.add_argument("--lr", type=float, help="Learning rate.")
    p.add_argument("--weights", help="Pretrained backbones: a local weights file (model.weights; default 'imagenet' "
                   "from torchvision's cache or the efficientnet_lite0 package, never downloaded).")
    p.set_defaults(takes_overrides=True)
    p.epilog = config_keys_help()
    p.formatter_class = argparse.RawDescriptionHelpFormatter


def resolve(args: argparse.Namespace, *, base=None, base_run: str | None = None):
    """Defaults (or a recipe / a resumed run's config) < --config YAML < --section.key=value < shortcuts."""
    from toonlab.config import resolve_config, set_option

    if base_run is not None:  # toonlab.runs imports torch: only when needed (--nproc starts sooner)
        from toonlab.runs import load_run_config

        base = load_run_config(base_run)
    cfg = resolve_config(base=base, yaml_path=args.config, overrides=args.overrides)
    shortcuts = {"data.path": getattr(args, "data", None), "train.mode": getattr(args, "mode", None),
                 "train.epochs": getattr(args, "epochs", None), "data.image_size": getattr(args, "image_size", None),
                 "data.folds": getattr(args, "folds", None),
                 "train.repeats": getattr(args, "repeats", None), "train.seed": getattr(args, "seed", None),
                 "train.batch_size": getattr(args, "batch_size", None), "train.lr": getattr(args, "lr", None),
                 "model.weights": getattr(args, "weights", None), "train.budget": getattr(args, "budget", None),
                 **source_options(args)}
    for key, value in shortcuts.items():
        if value is not None:
            set_option(cfg, key, value)
    if not show_progress(args):
        cfg.train.progress = False
    if cfg.data.image_size == 0:  # the model's recommended size (imports torch: only when asked for)
        from toonlab.models import recommended_size

        cfg.data.image_size = recommended_size(cfg.model)
    return cfg


def source_options(args: argparse.Namespace) -> dict[str, object]:
    """The label options given on the command line, as ``data.*`` keys (None = not given)."""
    names = ("source", "labels", "file_column", "pattern", "tasks", "regression", "combine", "group",
             "visibility", "duplicates", "limit")
    return {f"data.{n}": getattr(args, n, None) for n in names}


def config_keys_help() -> str:
    """Every config key with its doc, for --help (the dataclass field docs are the single source)."""
    from toonlab.config import SECTIONS, field_help

    lines = ["config keys (set any as --section.key=value):"]
    for section in SECTIONS:
        lines += [f"  {section}.{key}: {doc}" for key, doc in field_help(section).items()]
    return "\n".join(lines)


def parse_overrides(extra: list[str], *, allowed: bool) -> list[str]:
    """Turn leftover ``--section.key=value`` / ``--section.key value`` words into overrides."""
    out, i = [], 0
    while i < len(extra):
        word = extra[i]
        if not (allowed and word.startswith("--") and "." in word.split("=", 1)[0]):
            raise ToonlabError(f"Unrecognised argument {word!r}. See `toonlab VERB --help`; config keys are "
                               "given as --section.key=value, e.g. --train.lr=0.001.")
        if "=" not in word:
            if i + 1 >= len(extra):
                raise ToonlabError(f"{word} needs a value, e.g. {word}=VALUE.")
            word, i = f"{word}={extra[i + 1]}", i + 1
        out.append(word[2:])
        i += 1
    return out
