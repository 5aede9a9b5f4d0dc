"""The training verbs: ``train``, ``eval`` (with ``--robustness`` and ``--repeats``) and ``demo``."""

from __future__ import annotations

import argparse

from toonlab.cli.report import refresh

from toonlab.cli import options, output
from toonlab.progress import Progress
from toonlab.train import launch


def train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="?", help="Data folder (or set data.path in --config).")
    p.add_argument("-o", "--out", help="Run folder to create (or continue with --resume); default "
                   "runs/<DATA folder name>-<YYYYmmdd-HHMMSS>.")
    p.add_argument("--resume", action="store_true", help="Continue an interrupted run from its last checkpoint.")
    p.add_argument("--overwrite", action="store_true", help="Replace the run already in --out (refused for a folder "
                   "that is not a toonlab run).")
    p.add_argument("--nproc", type=int, default=1, metavar="N",
                   help="Train one model on N processes (DistributedDataParallel; one GPU each on GPUs); "
                   "--batch-size stays the global batch. Not under torchrun. Default 1.")
    options.config_args(p)
    options.source_args(p)
    options.model_args(p)
    options.training_args(p)


def train_verb(args: argparse.Namespace) -> int:
    cfg = options.resolve(args, base_run=args.out if args.resume else None)
    options.out_folder(args, cfg.data.path)
    if launch.check_nproc(args.nproc):  # this process starts the N that train (each runs this command again)
        launch.check_parallel(cfg, args.nproc)
        return launch.launch(args.argv, args.nproc)
    from toonlab.evaluate.table import format_metrics  # lazy: `toonlab --help` stays fast
    from toonlab.workflows.train import train

    metrics = train(cfg, args.out, resume=args.resume, overwrite=args.overwrite,
                    command=output.command_line(args.argv))
    if launch.rank() == 0:
        output.print_result(metrics, args.out, format_metrics)
        refresh(args.out)
    return 0


def eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", help="Run folder written by `toonlab train` (a k-fold/repeats folder: every member).")
    p.add_argument("data", nargs="?", help="Data folder (default: the run's own data, on its test split).")
    p.add_argument("--robustness", action="store_true",
                   help="Also evaluate the validation images under colour jitter, rotation, flips, invert, "
                   "sharpness, noise and grayscale at a few severities (RUN/robustness.json).")
    p.add_argument("--seed", type=int, default=0, help="Seed of the random robustness transforms.")
    p.add_argument("--repeats", type=int, metavar="N", help="Train the run's config N times (seeds seed..seed+N-1, "
                   "same split) into RUN/repeats/ and report mean ± std (continues where an earlier call stopped); "
                   "default: evaluate the run as it is.")
    options.source_args(p, base="the run's own")


def eval_verb(args: argparse.Namespace) -> int:
    from toonlab.evaluate.run import evaluate_run  # lazy: `toonlab --help` stays fast
    from toonlab.evaluate.table import format_metrics

    if args.repeats:
        return _eval_repeats(args)
    data_options = {k.split(".", 1)[1]: v for k, v in options.source_options(args).items()}
    metrics = evaluate_run(args.run, args.data, data_options=data_options, progress=options.show_progress(args))
    output.print_result(metrics, args.run, format_metrics)
    if args.robustness:
        from toonlab.evaluate.robustness import format_robustness  # lazy: `toonlab --help` stays fast
        from toonlab.evaluate.robustness_run import ROBUSTNESS_FILE, robustness_run

        result = robustness_run(args.run, args.data, seed=args.seed, data_options=data_options,
                                progress=options.show_progress(args))
        print(f"\nRobustness on the {result['split']} split ({result['n_images']} images):")
        print(format_robustness(result))
        print(f"Robustness: {args.run}/{ROBUSTNESS_FILE}")
    refresh(args.run)
    return 0


def _eval_repeats(args: argparse.Namespace) -> int:
    """``eval RUN --repeats N``: N trainings of the run's own config, evaluated, mean ± std."""
    from toonlab.workflows.repeats import REPEATS_DIR, repeat_run  # lazy: `toonlab --help` stays fast

    metrics = repeat_run(args.run, args.repeats, progress=options.show_progress(args),
                         command=output.command_line(args.argv))
    output.print_result(metrics, f"{args.run}/{REPEATS_DIR}", None)
    return 0


def demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", default="toonlab-demo", help="Where the data set and runs go (default ./toonlab-demo).")
    p.add_argument("--n", type=int, default=10000, help="Faces to draw (default 10000; reused if present).")
    options.config_args(p, base="the demo recipe")
    options.model_args(p, base=_demo_recipe, weights=False)
    options.training_args(p, base=_demo_recipe, folds=False)


def _demo_recipe():
    """The demo's base config (its --help shows these defaults)."""
    from toonlab.demo import demo_config  # lazy: `toonlab --help` stays fast

    return demo_config()


def demo_verb(args: argparse.Namespace) -> int:
    from toonlab.demo import demo, demo_config  # lazy: `toonlab --help` stays fast
    from toonlab.evaluate.table import format_metrics

    cfg = options.resolve(args, base=demo_config())
    bar = Progress("synth", enabled=cfg.train.progress)
    result = demo(cfg, folder=args.dir, n=args.n, synth_progress=bar, command=output.command_line(args.argv))
    output.print_result(result.metrics, result.run, format_metrics)
    print(f"Total demo time: {result.seconds / 60:.1f} min (synth {result.synth_seconds:.0f}s).")
    refresh(result.run)
    return 0
