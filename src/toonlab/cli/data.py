"""The data verbs: ``synth`` (draw the built-in set), ``check`` (what loads and why not) and
``augment-preview`` (a grid of augmented training images).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Iterator

from toonlab.cli import options
from toonlab.cli.help import config_option
from toonlab.errors import ToonlabError
from toonlab.progress import Progress


def synth_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", help="Folder to write (CartoonSet layout: 0/ … 9/ with csX.png + csX.csv).")
    p.add_argument("--n", type=int, default=10000, help="Number of faces (default 10000).")
    p.add_argument("--size", type=int, default=256, help="Image side in pixels (default 256).")
    p.add_argument("--seed", type=int, default=0, help="Seed; the same seed gives byte-identical files.")
    p.add_argument("--workers", type=int, default=0, help="Processes (0 = one per core).")
    p.add_argument("--overwrite", action="store_true", help="Replace a folder that holds other files.")
    p.add_argument("--masks", action="store_true", help="Also write csX.mask.png: where each attribute is drawn "
                   "(for `toonlab explain --score`).")


def synth(args: argparse.Namespace) -> int:
    from toonlab.data.synth import synthesize  # lazy: `toonlab --help` stays fast

    summary = synthesize(args.out, n=args.n, size=args.size, seed=args.seed, workers=args.workers,
                         overwrite=args.overwrite, masks=args.masks,
                         progress=Progress("synth", enabled=options.show_progress(args)))
    verb = "Reused" if summary.reused else "Wrote"
    print(f"{verb} {summary.n} faces at {summary.size}px in {summary.out} ({summary.seconds:.1f}s).")
    return 0


def check_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="?", help="Data folder (or set data.path in --config).")
    p.add_argument("--config", metavar="FILE", help="YAML config; its data section says how labels are read "
                   "(default: none, the built-in defaults).")
    config_option(p, "--image-size", key="data.image_size", type=int, metavar="PX",
                  help="Decode size, the cache train reuses")
    config_option(p, "--seed", key="train.seed", type=int, help="Seed of the split whose duplicates are reported")
    p.add_argument("--json", dest="json_out", metavar="FILE", help="Also write the full report as JSON to this file "
                   "(default: print only).")
    options.source_args(p)
    p.set_defaults(takes_overrides=True)


def check(args: argparse.Namespace) -> int:
    import json

    from toonlab.data.check import check_data, format_check  # lazy: `toonlab --help` stays fast

    cfg = options.resolve(args)
    if not cfg.data.path:
        raise ToonlabError("No data folder: pass DATA (`toonlab check DATA`) or set data.path in --config.")
    with _layout_not_logged():  # the report below states it
        report = check_data(cfg.data, seed=cfg.train.seed, progress=Progress("cache", enabled=options.show_progress(args)))
    print(format_check(report))
    if args.json_out:
        try:
            with open(args.json_out, "w", encoding="utf-8") as f:
                json.dump(report.as_dict(), f, indent=2)
        except OSError as e:
            raise ToonlabError(f"Cannot write the report to --json {args.json_out!r}: {e.strerror}. "
                               "Pass a file in an existing, writable folder.") from None
        print(f"\nReport: {args.json_out}")
    return 0 if report.used else 1  # nothing to train on: a script running check then train stops here


@contextlib.contextmanager
def _layout_not_logged() -> Iterator[None]:
    """Drop the 'Layout: ...' log line that loading prints, for as long as the block runs."""
    logger = logging.getLogger("toonlab.data.sources.load")
    keep = lambda record: not record.getMessage().startswith("Layout: ")  # noqa: E731
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


def preview_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="?", help="Data folder (or set data.path in --config).")
    p.add_argument("--out", default="augment-preview.png", help="PNG to write (default augment-preview.png).")
    p.add_argument("--n", type=int, default=8, help="Training images to show, one per row.")
    p.add_argument("--copies", type=int, default=6, help="Augmented copies per image.")
    config_option(p, "--image-size", key="data.image_size", type=int, metavar="PX", help="Image size in pixels")
    config_option(p, "--seed", key="train.seed", type=int, help="Seed of the split and of the augmentations")
    options.config_args(p)
    options.source_args(p)


def preview(args: argparse.Namespace) -> int:
    from toonlab.data.cache import parse_background  # lazy: `toonlab --help` stays fast
    from toonlab.data.dataset import prepare_data
    from toonlab.data.preview import augment_preview

    cfg = options.resolve(args)
    if not cfg.data.path:
        raise ToonlabError("No data folder: pass DATA or set data.path in --config.")
    data = prepare_data(cfg.data, seed=cfg.train.seed)
    rows = data.splits["train"][: args.n]
    out = augment_preview(data.images[rows], cfg.augment, args.out, n=len(rows), copies=args.copies,
                          seed=cfg.train.seed, background=parse_background(cfg.data.background))
    print(f"Wrote {out}: {len(rows)} training images (first column) and {args.copies} augmented copies each.")
    return 0
