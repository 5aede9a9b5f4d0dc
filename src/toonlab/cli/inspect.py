"""The inspection verbs of the command line: ``explain``, ``visualize`` and ``diagnose``.

Each pair is ``*_args(parser)`` and ``verb(args) -> exit code``; :mod:`toonlab.cli.app` lists them in its
verb table and turns a ``ToonlabError`` into one paragraph and exit code 2.
"""

from __future__ import annotations

import argparse

from toonlab.cli.options import show_progress
from toonlab.cli.report import refresh


# --- explain ---------------------------------------------------------------------------------------

def explain_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", help="Run folder written by `toonlab train`.")
    p.add_argument("images", nargs="*", help="Images or folders (default: the first 8 test images of the run).")
    p.add_argument("--task", default="all", help="Task to explain, a comma list, or 'all' (default).")
    p.add_argument("--method", default="all", help="saliency, ig, gradcam, smoothgrad, a comma list, or 'all'. "
                   "With --score the default is saliency,gradcam (ig and smoothgrad are 10-15x slower).")
    p.add_argument("--steps", type=int, default=32, help="Integrated gradients: steps.")
    p.add_argument("--baseline", default="background", help="Integrated gradients: black, white, background or blur.")
    p.add_argument("--samples", type=int, default=16, help="SmoothGrad: noisy samples.")
    p.add_argument("--stdev", type=float, default=0.1, help="SmoothGrad: noise as a fraction of the pixel range.")
    p.add_argument("--layer", help="Grad-CAM layer (default: the last conv layer), e.g. stages.2.0.")
    p.add_argument("--out", help="Panel folder (default RUN/explain).")
    p.add_argument("--score", action="store_true", help="Score the maps against the drawn regions of a set made "
                   "with `toonlab synth --masks`: mass inside the region vs chance, pointing game.")
    p.add_argument("--n", type=int, default=200, help="--score: test images scored.")
    p.add_argument("--seed", type=int, default=0, help="--score: seed of the image sample.")


def explain(args: argparse.Namespace) -> int:
    from toonlab.explain.run import explain_run, score_run  # lazy: `toonlab --help` stays fast

    tasks = args.task if args.task == "all" else args.task.split(",")
    options = dict(steps=args.steps, baseline=args.baseline, samples=args.samples, stdev=args.stdev, layer=args.layer,
                   progress=show_progress(args))
    if args.score:
        from toonlab.explain.scores import format_scores  # lazy: `toonlab --help` stays fast

        methods = ["saliency", "gradcam"] if args.method == "all" else args.method.split(",")
        table = score_run(args.run, n=args.n, methods=methods, tasks=tasks, seed=args.seed, **options)
        print(format_scores(table))
        print(f"Scores: {args.run}/explain/scores.csv")
        refresh(args.run)
        return 0
    methods = "all" if args.method == "all" else args.method.split(",")
    written = explain_run(args.run, args.images or None, tasks=tasks, methods=methods, out=args.out, **options)
    print(f"Wrote {len(written)} panels under {args.out or args.run + '/explain'}.")
    refresh(args.run)
    return 0


# --- visualize -------------------------------------------------------------------------------------

def visualize_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", help="Run folder written by `toonlab train`.")
    p.add_argument("image", nargs="?", help="Image whose feature maps are drawn (default: the run's first test image).")
    p.add_argument("--out", help="Folder to write (default RUN/visualize).")
    p.add_argument("--max-channels", type=int, default=64, help="Feature maps shown per stage at most (the strongest).")


def visualize(args: argparse.Namespace) -> int:
    from toonlab.explain.visualize import visualize_run  # lazy: `toonlab --help` stays fast

    written = visualize_run(args.run, args.image, out=args.out, max_channels=args.max_channels)
    print(f"Wrote {len(written)} images under {args.out or args.run + '/visualize'}:")
    print("\n".join(f"  {p}" for p in written))
    return 0


# --- diagnose --------------------------------------------------------------------------------------

def diagnose_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="A YAML config (e.g. configs/ignet.yaml) or a run folder (a fresh model from its config).")
    p.add_argument("data", nargs="?", help="Data folder for the batch (default: data.path; none = random images).")
    p.add_argument("--band", default="1e-2,1e-1", help="Healthy range LO,HI of each layer's mean |dLoss/dW| "
                   "at initialisation; smaller vanishes, larger explodes.")
    p.add_argument("--measure", choices=["grad", "ratio"], default="grad",
                   help="Flag layers by their mean |dL/dW| or by |dL/dW| / |W|.")
    p.add_argument("--batch-size", type=int, default=32, help="Images in the batch.")
    p.add_argument("--seed", type=int, help="Seed of the init and the batch (default train.seed).")
    p.add_argument("--tune-init", action="store_true",
                   help="Search per-layer uniform init ranges until every layer's gradient is in --band.")
    p.add_argument("--max-rounds", type=int, default=20, help="--tune-init: search rounds at most.")
    p.add_argument("--out", metavar="FILE", help="--tune-init: write the ranges as a YAML config snippet here "
                   "(default: print them only).")


def diagnose(args: argparse.Namespace) -> int:
    from toonlab.explain.diagnose import check_band, diagnose_run, format_diagnose  # lazy: `toonlab --help` stays fast

    band = check_band(args.band)
    if not args.tune_init:
        table = format_diagnose(diagnose_run(args.source, args.data, batch_size=args.batch_size, seed=args.seed,
                                             band=band, measure=args.measure))
        print(table)
        _save_in_run(args.source, "diagnose.txt", table)
        return 0
    from toonlab.explain.tune_init import format_tune, tune_run, write_ranges  # lazy: `toonlab --help` stays fast

    result = tune_run(args.source, args.data, batch_size=args.batch_size, seed=args.seed, band=band,
                      max_rounds=args.max_rounds, measure=args.measure)
    print(format_tune(result))
    if args.out:
        print(f"Ranges: {write_ranges(args.out, result.ranges, bias_ranges=result.bias_ranges)}")
    return 0


def _save_in_run(source: str, name: str, text: str) -> None:
    """Keep a verb's table in the run folder (for its report) when ``source`` is a run, and refresh the report."""
    from pathlib import Path

    from toonlab.runs import CONFIG_FILE  # lazy: `toonlab --help` stays fast

    run = Path(source)
    if run.is_dir() and (run / CONFIG_FILE).exists():
        (run / name).write_text(text + "\n", encoding="utf-8")
        refresh(run)
