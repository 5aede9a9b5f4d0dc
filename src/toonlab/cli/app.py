"""The command line: a table of verbs, each parsing its options and calling one library function.

Only the ``toonlab.cli`` package prints. A user mistake (``ToonlabError``) becomes one paragraph on stderr
and exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import functools
import sys
from typing import Callable

from toonlab.version import __version__
from toonlab.cli import audit, compare, config, data, help, inspect, options, output, report, ship, sweep, train, tune
from toonlab.errors import ToonlabError
from toonlab.train import launch


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``toonlab`` console script and ``python -m toonlab``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    output.setup_logging(getattr(args, "quiet", False))
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    args.argv = argv
    try:
        args.overrides = options.parse_overrides(extra, allowed=getattr(args, "takes_overrides", False),
                                                 verb=args.verb)
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
    verb_parser = functools.partial(argparse.ArgumentParser, formatter_class=help.HelpFormatter)  # shows defaults
    sub = parser.add_subparsers(title="verbs", metavar="VERB", parser_class=verb_parser)
    for name, (add_args, run, help_text) in VERBS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        options.console_args(p)
        add_args(p)
        p.set_defaults(func=run, verb=name)
    return parser


VERBS: dict[str, tuple[Callable, Callable, str]] = {
    "synth": (data.synth_args, data.synth, "Draw the built-in cartoon-face set (CartoonSet format)."),
    "check": (data.check_args, data.check, "List what loads, every file or row that cannot be used and why, label counts, "
                                    "groups and duplicates."),
    "train": (train.train_args, train.train_verb, "Train one multi-head CNN (or one per task) and print the test table."),
    "audit": (audit.audit_args, audit.audit_verb, "Rank likely label errors per task from out-of-fold predictions "
                                    "of small networks (confident learning); writes audit.csv and audit.html, "
                                    "for `train --exclude`."),
    "eval": (train.eval_args, train.eval_verb, "Per-task metrics, confusion matrices, mistakes and plots from the best checkpoints; "
                                "--robustness, --repeats N."),
    "explain": (inspect.explain_args, inspect.explain, "Attribution panels per image and task (saliency, integrated gradients, "
                                         "Grad-CAM, SmoothGrad via Captum); --score against drawn regions."),
    "visualize": (inspect.visualize_args, inspect.visualize, "First-layer filters, feature maps per conv stage for an image; "
                                               "for MLPs the first and middle neurons' weights and outputs."),
    "diagnose": (inspect.diagnose_args, inspect.diagnose, "Per-layer table at initialisation: shapes, receptive fields, mean |weights|, "
                                            "|inputs|, |gradients|; flags vanishing/exploding layers; --tune-init."),
    "sweep": (sweep.sweep_args, sweep.sweep, "Hyper-parameter sweep from a YAML file (grid, one-way, rounds on growing subsets, "
                                 "random, TPE) on Optuna; resumable; --workers N or several machines share a study."),
    "tune": (tune.tune_args, tune.tune,
             "Search settings for one data set within --budget (TPE + successive halving), then train the best on "
             "all images; resumable."),
    "report": (report.report_args, report.report, "Write RUN/report.html: one self-contained page opening with the result "
                                    "(headline, per-task accuracy against the baseline, warnings, advice), then curves, "
                                    "confusion matrices, mistakes, robustness, explanations, data, command and config."),
    "predict": (ship.predict_args, ship.predict, "Predicted label and probability (or value) per task for new images; "
                                       "--out preds.csv."),
    "export": (ship.export_args, ship.export, "Export the trained multi-head model, e.g. --onnx OUT.onnx with one named "
                                    "output per task."),
    "compare": (compare.compare_args, compare.compare, "Train several approaches on one split (mlp, cnn, and a pretrained backbone as "
                                       "features, last_layer, finetune, scratch) and print one table."),
    "demo": (train.demo_args, train.demo_verb, "Synth 10k faces, train all 18 attributes, print the table."),
    "augment-preview": (data.preview_args, data.preview, "Write a PNG grid of training images and their augmented copies."),
    "config": (config.config_args, config.config_verb, "Every config key with its type, default and meaning, by section; "
                                         "--yaml prints the defaults as a YAML file to edit and pass to --config."),
}
