"""The command line: a table of verbs, each parsing its options and calling one library function.

Only this module prints. A user mistake (``ToonlabError``) becomes one paragraph on stderr
and exit code 2; never a traceback.

Config options on ``train``/``demo``: ``--config FILE`` (YAML) and any ``--section.key=value``
(e.g. ``--model.widths=[32,64,128]``), applied after the YAML; shortcuts such as ``--epochs``
are applied last.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from typing import Callable

from toonlab import __version__
from toonlab.cli_compare import compare, compare_args
from toonlab.cli_inspect import diagnose, diagnose_args, explain, explain_args, visualize, visualize_args
from toonlab.cli_report import report, report_args
from toonlab.cli_ship import export, export_args, predict, predict_args
from toonlab.cli_sweep import sweep, sweep_args
from toonlab.cli_tune import tune, tune_args
from toonlab.errors import ToonlabError
from toonlab.progress import ProgressBar
from toonlab.train import launch

log = logging.getLogger("toonlab")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``toonlab`` console script and ``python -m toonlab``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    _setup_logging(getattr(args, "quiet", False))
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    args.argv = argv
    try:
        args.overrides = _overrides(extra, allowed=getattr(args, "takes_overrides", False))
        return int(args.func(args) or 0)
    except ToonlabError as e:
        if not isinstance(e, launch.ReportedByRankZero):  # rank 0 of a data-parallel run has said it already
            where = f" (process {launch.rank()} of {launch.world_size()})" if launch.rank() else ""
            print(f"toonlab {args.verb}: error{where}: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed early: not an error worth a traceback
        sys.stderr.close()
        return 141
    except KeyboardInterrupt:
        if launch.rank() == 0:
            print("Interrupted. A training run can be continued with `toonlab train ... --resume`.", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The parser with one sub-command per verb (see VERBS)."""
    parser = argparse.ArgumentParser(prog="toonlab", description="Train, evaluate and explain CNNs on cartoon images.")
    parser.add_argument("--version", action="version", version=f"toonlab {__version__}")
    sub = parser.add_subparsers(title="verbs", metavar="VERB")
    for name, (add_args, run, help_text) in VERBS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("-q", "--quiet", action="store_true", help="Only warnings and the result.")
        add_args(p)
        p.set_defaults(func=run, verb=name)
    return parser


# --- synth -----------------------------------------------------------------------------------------

def _synth_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", help="Folder to write (CartoonSet layout: 0/ … 9/ with csX.png + csX.csv).")
    p.add_argument("--n", type=int, default=10000, help="Number of faces (default 10000).")
    p.add_argument("--size", type=int, default=256, help="Image side in pixels (default 256).")
    p.add_argument("--seed", type=int, default=0, help="Seed; the same seed gives byte-identical files.")
    p.add_argument("--workers", type=int, default=0, help="Processes (0 = one per core).")
    p.add_argument("--overwrite", action="store_true", help="Replace a folder that holds other files.")
    p.add_argument("--masks", action="store_true", help="Also write csX.mask.png: where each attribute is drawn "
                   "(for `toonlab explain --score`).")


def _synth(args: argparse.Namespace) -> int:
    from toonlab.data.synth import synthesize

    summary = synthesize(args.out, n=args.n, size=args.size, seed=args.seed, workers=args.workers,
                         overwrite=args.overwrite, masks=args.masks,
                         progress=ProgressBar("synth", enabled=not args.quiet))
    verb = "Reused" if summary.reused else "Wrote"
    print(f"{verb} {summary.n} faces at {summary.size}px in {summary.out} ({summary.seconds:.1f}s).")
    return 0


def _eval_repeats(args: argparse.Namespace) -> int:
    """``eval RUN --repeats N``: N trainings of the run's own config, evaluated, mean ± std (seed 002 trains 5 times)."""
    from pathlib import Path

    from toonlab.runs import load_run_config
    from toonlab.train.run import train

    cfg = load_run_config(args.run)
    cfg.data.folds, cfg.train.repeats, cfg.train.progress = 0, args.repeats, not args.quiet
    out = Path(args.run) / "repeats"
    metrics = train(cfg, out, resume=(out / "config.yaml").exists(), command=_command_line(args.argv))
    _print_result(metrics, str(out), None)
    return 0


# --- check -----------------------------------------------------------------------------------------

def _check_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="?", help="Data folder (or set data.path in --config).")
    p.add_argument("--config", help="YAML config; its data section says how labels are read.")
    p.add_argument("--image-size", type=int, help="Decode size (default: data.image_size; the cache train reuses).")
    p.add_argument("--seed", type=int, help="Seed of the split whose duplicates are reported.")
    p.add_argument("--json", dest="json_out", help="Also write the full report as JSON to this file.")
    _source_args(p)
    p.set_defaults(takes_overrides=True)


def _check(args: argparse.Namespace) -> int:
    import json

    from toonlab.data.check import check_data, format_check

    cfg = _resolve(args)
    if not cfg.data.path:
        raise ToonlabError("No data folder: pass DATA (`toonlab check DATA`) or set data.path in --config.")
    report = check_data(cfg.data, seed=cfg.train.seed, progress=ProgressBar("cache", enabled=not args.quiet))
    print(format_check(report))
    if args.json_out:
        try:
            with open(args.json_out, "w", encoding="utf-8") as f:
                json.dump(report.as_dict(), f, indent=2)
        except OSError as e:
            raise ToonlabError(f"Cannot write the report to --json {args.json_out!r}: {e.strerror}. "
                               "Pass a file in an existing, writable folder.") from None
        print(f"\nReport: {args.json_out}")
    return 0


# --- train -----------------------------------------------------------------------------------------

def _train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="?", help="Data folder (or set data.path in --config).")
    p.add_argument("-o", "--out", required=True, help="Run folder to create (or continue with --resume).")
    p.add_argument("--resume", action="store_true", help="Continue an interrupted run from its last checkpoint.")
    p.add_argument("--nproc", type=int, default=1, metavar="N",
                   help="Train one model on N processes of this machine with DistributedDataParallel (gloo on CPU, "
                   "NCCL on GPU: one GPU each); only process 0 writes RUN. --batch-size stays the global batch, split "
                   "across the N, so results compare with --nproc 1. Not with --folds, --repeats or "
                   "train.checkpoint_every. Under torchrun leave it out. Default 1.")
    _config_args(p)


def _source_args(p: argparse.ArgumentParser) -> None:
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


def _config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="YAML config (sections data/model/train/augment/eval); "
                   "--section.key=value overrides it.")
    _source_args(p)
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
    p.add_argument("--no-progress", action="store_true", help="No progress bar.")
    p.set_defaults(takes_overrides=True)
    p.epilog = _config_keys_help()
    p.formatter_class = argparse.RawDescriptionHelpFormatter


def _train(args: argparse.Namespace) -> int:
    cfg = _resolve(args, base_run=args.out if args.resume else None)
    if launch.check_nproc(args.nproc):  # this process starts the N that train (each runs this command again)
        launch.check_parallel(cfg, args.nproc)
        return launch.launch(args.argv, args.nproc)
    from toonlab.evaluate.table import format_table
    from toonlab.train.run import train

    metrics = train(cfg, args.out, resume=args.resume, command=_command_line(args.argv))
    if launch.rank() == 0:
        _print_result(metrics, args.out, format_table)
        from toonlab.cli_report import refresh  # RUN/report.html; a failure is only a warning
        refresh(args.out)
    return 0


# --- eval ------------------------------------------------------------------------------------------

def _eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", help="Run folder written by `toonlab train` (a k-fold/repeats folder: every member).")
    p.add_argument("data", nargs="?", help="Data folder (default: the run's own data, on its test split).")
    p.add_argument("--robustness", action="store_true",
                   help="Also evaluate the validation images under colour jitter, rotation, flips, invert, "
                   "sharpness, noise and grayscale at a few severities (RUN/robustness.json).")
    p.add_argument("--seed", type=int, default=0, help="Seed of the random robustness transforms.")
    p.add_argument("--repeats", type=int, help="Train the run's config N times (seeds seed..seed+N-1, same split) "
                   "into RUN/repeats/ and report mean ± std (continues where an earlier call stopped).")
    _source_args(p)


def _eval(args: argparse.Namespace) -> int:
    from toonlab.evaluate.run import evaluate_run
    from toonlab.evaluate.table import format_table

    if args.repeats:
        return _eval_repeats(args)
    options = {k.split(".", 1)[1]: v for k, v in _source_options(args).items()}
    metrics = evaluate_run(args.run, args.data, data_options=options)
    _print_result(metrics, args.run, format_table)
    if args.robustness:
        from toonlab.evaluate.robustness import format_robustness
        from toonlab.evaluate.robustness_run import ROBUSTNESS_FILE, robustness_run

        result = robustness_run(args.run, args.data, seed=args.seed, data_options=options)
        print(f"\nRobustness on the {result['split']} split ({result['n_images']} images):")
        print(format_robustness(result))
        print(f"Robustness: {args.run}/{ROBUSTNESS_FILE}")
    from toonlab.cli_report import refresh  # RUN/report.html; a failure is only a warning
    refresh(args.run)
    return 0


# --- demo ------------------------------------------------------------------------------------------

def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", default="toonlab-demo", help="Where the data set and runs go (default ./toonlab-demo).")
    p.add_argument("--n", type=int, default=10000, help="Faces to draw (default 10000; reused if present).")
    _config_args(p)


def _demo(args: argparse.Namespace) -> int:
    from toonlab.demo import demo, demo_config
    from toonlab.evaluate.table import format_table

    cfg = _resolve(args, base=demo_config())
    bar = ProgressBar("synth", enabled=cfg.train.progress)
    result = demo(cfg, folder=args.dir, n=args.n, synth_progress=bar, command=_command_line(args.argv))
    _print_result(result.metrics, result.run, format_table)
    print(f"Total demo time: {result.seconds / 60:.1f} min (synth {result.synth_seconds:.0f}s).")
    from toonlab.cli_report import refresh  # RUN/report.html; a failure is only a warning
    refresh(result.run)
    return 0


# --- augment-preview -------------------------------------------------------------------------------

def _preview_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="?", help="Data folder (or set data.path in --config).")
    p.add_argument("--out", default="augment-preview.png", help="PNG to write (default augment-preview.png).")
    p.add_argument("--n", type=int, default=8, help="Training images to show, one per row.")
    p.add_argument("--copies", type=int, default=6, help="Augmented copies per image.")
    _config_args(p)


def _preview(args: argparse.Namespace) -> int:
    from toonlab.data.cache import parse_background
    from toonlab.data.dataset import prepare_data
    from toonlab.data.preview import augment_preview

    cfg = _resolve(args)
    if not cfg.data.path:
        raise ToonlabError("No data folder: pass DATA or set data.path in --config.")
    data = prepare_data(cfg.data, seed=cfg.train.seed)
    rows = data.splits["train"][: args.n]
    out = augment_preview(data.images[rows], cfg.augment, args.out, n=len(rows), copies=args.copies,
                          seed=cfg.train.seed, background=parse_background(cfg.data.background))
    print(f"Wrote {out}: {len(rows)} training images (first column) and {args.copies} augmented copies each.")
    return 0


VERBS: dict[str, tuple[Callable, Callable, str]] = {
    "synth": (_synth_args, _synth, "Draw the built-in cartoon-face set (CartoonSet format)."),
    "check": (_check_args, _check, "List what loads, every file or row that cannot be used and why, label counts, "
                                    "groups and duplicates."),
    "train": (_train_args, _train, "Train one multi-head CNN (or one per task) and print the test table."),
    "eval": (_eval_args, _eval, "Per-task metrics, confusion matrices, mistakes and plots from the best checkpoints; "
                                "--robustness, --repeats N."),
    "explain": (explain_args, explain, "Attribution panels per image and task (saliency, integrated gradients, "
                                         "Grad-CAM, SmoothGrad via Captum); --score against drawn regions."),
    "visualize": (visualize_args, visualize, "First-layer filters, feature maps per conv stage for an image; "
                                               "for MLPs the first and middle neurons' weights and outputs."),
    "diagnose": (diagnose_args, diagnose, "Per-layer table at initialisation: shapes, receptive fields, mean |weights|, "
                                            "|inputs|, |gradients|; flags vanishing/exploding layers; --tune-init."),
    "sweep": (sweep_args, sweep, "Hyper-parameter sweep from a YAML file (grid, one-way, rounds on growing subsets, "
                                 "random, TPE) on Optuna; resumable; --workers N or several machines share a study."),
    "tune": (lambda p: tune_args(p, _source_args), lambda args: tune(args, _source_options),
             "Search settings for one data set within --budget (TPE + successive halving), then train the best on "
             "all images; resumable."),
    "report": (report_args, report, "Write RUN/report.html: one self-contained page with the command, config, data, "
                                    "metrics, curves, confusion matrices, mistakes, robustness and explanations."),
    "predict": (predict_args, predict, "Predicted label and probability (or value) per task for new images; "
                                       "--out preds.csv."),
    "export": (export_args, export, "Export the trained multi-head model, e.g. --onnx OUT.onnx with one named "
                                    "output per task."),
    "compare": (compare_args, compare, "Train several approaches on one split (mlp, cnn, and a pretrained backbone as "
                                       "features, last_layer, finetune, scratch) and print one table."),
    "demo": (_demo_args, _demo, "Synth 10k faces, train all 18 attributes, print the table."),
    "augment-preview": (_preview_args, _preview, "Write a PNG grid of training images and their augmented copies."),
}


# --- shared helpers --------------------------------------------------------------------------------

def _resolve(args: argparse.Namespace, *, base=None, base_run: str | None = None):
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
                 **_source_options(args)}
    for key, value in shortcuts.items():
        if value is not None:
            set_option(cfg, key, value)
    if getattr(args, "no_progress", False) or args.quiet:
        cfg.train.progress = False
    if cfg.data.image_size == 0:  # the model's recommended size (imports torch: only when asked for)
        from toonlab.models import recommended_size

        cfg.data.image_size = recommended_size(cfg.model)
    return cfg


def _source_options(args: argparse.Namespace) -> dict[str, object]:
    """The label options given on the command line, as ``data.*`` keys (None = not given)."""
    names = ("source", "labels", "file_column", "pattern", "tasks", "regression", "combine", "group",
             "visibility", "duplicates", "limit")
    return {f"data.{n}": getattr(args, n, None) for n in names}


def _config_keys_help() -> str:
    """Every config key with its doc, for --help (the dataclass field docs are the single source)."""
    from toonlab.config import SECTIONS, field_help

    lines = ["config keys (set any as --section.key=value):"]
    for section in SECTIONS:
        lines += [f"  {section}.{key}: {doc}" for key, doc in field_help(section).items()]
    return "\n".join(lines)


def _overrides(extra: list[str], *, allowed: bool) -> list[str]:
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


def _print_result(metrics: dict, run: str, format_table: Callable) -> None:
    from toonlab.evaluate.advice import format_advice

    advice = format_advice(metrics.get("advice", []))
    if "members" in metrics:
        from toonlab.evaluate.aggregate import format_aggregate

        print(format_aggregate(metrics) + (f"\n\n{advice}" if advice else ""))
        print(f"\nEach member is a run folder under {run}/ · Metrics: {run}/metrics.json")
        return
    print(format_table(metrics) + (f"\n\n{advice}" if advice else ""))
    sizes = metrics.get("splits", {})
    print(f"\nsplit {sizes} · seed {metrics.get('seed')} · {metrics.get('device')} · "
          f"train wall time {metrics.get('wall_time_s', 'n/a')}s")
    print(f"Metrics: {run}/metrics.json · per-task confusion matrices, mistakes and plots: {run}/eval/")


def _command_line(argv: list[str]) -> str:
    return "toonlab " + " ".join(shlex.quote(a) for a in argv)


def _setup_logging(quiet: bool) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s", stream=sys.stderr)
