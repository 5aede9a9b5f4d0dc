"""The shipping verbs of the command line: ``predict`` (labels for new images) and ``export`` (ONNX).

Each pair is ``*_args(parser)`` and ``verb(args) -> exit code``; :mod:`toonlab.cli.app` lists them in its
verb table and turns a ``ToonlabError`` into one paragraph and exit code 2.
"""

from __future__ import annotations

import argparse
import sys

from toonlab.cli.options import show_progress
from toonlab.errors import ToonlabError


def predict_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", help="Run folder written by `toonlab train` (shared or separate mode); a k-fold/repeats "
                   "folder averages its members' probabilities (values for regression).")
    p.add_argument("images", nargs="+", help="Image files and/or folders (searched recursively).")
    p.add_argument("--out", metavar="FILE", help="Also write a CSV: file, <task>, <task>_prob (regression: <task> = "
                   "value), error (default: print only).")
    p.add_argument("--top", type=int, default=1, help="Show the K most probable classes per task (default 1).")
    p.add_argument("--batch-size", type=int, default=64, help="Images per batch (default 64).")
    p.add_argument("--device", default="auto", help="auto (default), cpu or cuda.")


def predict(args: argparse.Namespace) -> int:
    # lazy: `toonlab --help` stays fast
    from toonlab.ship import format_predictions, predict_images, write_predictions_csv

    preds = predict_images(args.run, args.images, batch_size=args.batch_size, device=args.device,
                           progress=show_progress(args))
    print(format_predictions(preds, top=args.top))
    if args.out:
        write_predictions_csv(preds, args.out, top=args.top)
    if preds.failures:
        print(f"Could not read {len(preds.failures)} file(s):", file=sys.stderr)
        for skipped in preds.failures:
            print(f"  {skipped.path}: {skipped.reason}", file=sys.stderr)
    if not args.quiet:
        averaged = f", averaged over {preds.members} member runs" if preds.members > 1 else ""
        written = f" · CSV: {args.out}" if args.out else ""
        print(f"\nPredicted {len(preds.files)} image(s){averaged}{written}", file=sys.stderr)
    return 0


def export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", help="Run folder written by `toonlab train` (shared or separate mode; for a k-fold/repeats "
                   "folder pass one member).")
    p.add_argument("--onnx", metavar="OUT.onnx", help="Write one ONNX graph: input 'image' (preprocessed, dynamic "
                   "batch), one output per task named after it (classification: probabilities; regression: value); "
                   "preprocessing and classes in its metadata. Needs pip install 'toonlab[export]'. Required.")
    p.add_argument("--no-verify", action="store_true", help="Skip running the file in onnxruntime against PyTorch.")


def export(args: argparse.Namespace) -> int:
    if not args.onnx:
        raise ToonlabError("Say what to export to: `toonlab export RUN --onnx OUT.onnx` (ONNX is the only format).")
    from toonlab.ship import export_onnx  # lazy: `toonlab --help` stays fast

    result = export_onnx(args.run, args.onnx, verify=not args.no_verify)
    print(f"Wrote {result.path}: input 'image', outputs {', '.join(result.outputs)}.")
    if result.max_abs_diff is not None:
        print(f"onnxruntime vs PyTorch on a random batch: max abs diff {result.max_abs_diff:.2g}.")
    return 0
