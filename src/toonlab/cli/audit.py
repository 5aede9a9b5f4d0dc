"""The ``audit`` verb: rank likely label errors per task from out-of-fold predictions (:mod:`toonlab.audit`)."""

from __future__ import annotations

import argparse
import functools
import shlex

from toonlab.cli import options, output
from toonlab.cli.help import config_option


def audit_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="?", help="Data folder, or a run folder (its data options and seed are reused).")
    p.add_argument("-o", "--out", help="Audit folder to write (an earlier audit there is replaced); default "
                   "RUN/audit for a run, else runs/audit-<DATA folder name>-<YYYYmmdd-HHMMSS>.")
    options.config_args(p, base="the audit recipe")
    options.source_args(p, base=_recipe)
    g = p.add_argument_group("the fold networks")
    opt = functools.partial(config_option, g, base=_recipe)
    opt("--folds", key="data.folds", type=int, metavar="K", help="Networks trained, each predicting the fold it "
        "never saw")
    opt("--epochs", key="train.epochs", type=int, metavar="N", help="Epochs of each fold network")
    opt("--budget", key="train.budget", metavar="TIME", help="Wall-clock budget for all folds together, e.g. 5m")
    opt("--image-size", key="data.image_size", type=int, metavar="PX", help="Image size of the fold networks")
    opt("--seed", key="train.seed", type=int, help="Seed of the folds and the networks")


def _recipe():
    from toonlab.audit.recipe import audit_config  # lazy: `toonlab --help` stays fast

    return audit_config()


def audit_verb(args: argparse.Namespace) -> int:
    from toonlab.audit.recipe import audit_config, run_audit_config  # lazy: `toonlab --help` stays fast
    from toonlab.audit.run import audit_data
    from toonlab.audit.table import format_audit
    from toonlab.runs import default_run_dir, is_run_folder

    run = args.data if args.data and is_run_folder(args.data) else None
    base = run_audit_config(run) if run else audit_config()
    if run:
        args.data = None  # the run's data.path stays
    cfg = options.resolve(args, base=base)
    out = args.out or (f"{run}/audit" if run else str(default_run_dir(cfg.data.path, prefix="audit-")))
    if not args.quiet:
        print(f"Audit folder: {out}", flush=True)
    result = audit_data(cfg, out, command=output.command_line(args.argv))
    print(format_audit(result.rows, result.tasks))
    for task, why in result.left_out.items():
        print(f"Not audited: {task}: {why}.")
    print(f"\n{len(result.rows)} likely label errors · {result.plan} · took {result.seconds:.0f}s")
    print(f"Audit: {result.csv} · page with thumbnails: {result.page}")
    print(f"Train without them (edit the CSV first to keep the ones that are right): toonlab train "
          f"{shlex.quote(cfg.data.path)} --exclude {shlex.quote(str(result.csv))}")
    return 0
