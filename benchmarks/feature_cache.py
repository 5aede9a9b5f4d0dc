"""Frozen-backbone features computed once vs the backbone run every epoch, for ``model.transfer=features``.

Draws a small built-in cartoon set, then trains the same ``features`` run twice on the same split:
with ``train.feature_cache=true`` (the default: the frozen backbone runs once per image, the epochs
train the head on stored features) and with it off (the backbone runs on every batch of every
epoch). Prints JSON: wall time of each, the speed-up, and both test accuracies (which should agree).

    python benchmarks/feature_cache.py                        # efficientnet_lite0 (offline ImageNet weights)
    python benchmarks/feature_cache.py --backbone mobilenet_v3_small --weights none --epochs 10
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from toonlab.config import resolve_config
from toonlab.data.dataset import load_and_cache
from toonlab.data.synth import synthesize
from toonlab.workflows.train import train


def main() -> None:
    args = _parse()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        synthesize(tmp / "toons", n=args.images, size=256, seed=0)
        runs = {cache: _run(tmp, args, cache) for cache in (True, False)}
    cached, direct = runs[True], runs[False]
    print(json.dumps({
        "backbone": args.backbone, "weights": args.weights, "images": args.images, "epochs": args.epochs,
        "image_size": args.size, "tasks": args.tasks,
        "seconds": {"cached": cached["seconds"], "every_epoch": direct["seconds"]},
        "speedup": round(direct["seconds"] / cached["seconds"], 2),
        "test_accuracy": {"cached": cached["accuracy"], "every_epoch": direct["accuracy"]},
    }, indent=2))


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backbone", default="efficientnet_lite0")
    p.add_argument("--weights", default="imagenet", help="imagenet (offline sources only), a file, or none.")
    p.add_argument("--images", type=int, default=600)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--size", type=int, default=128, help="Training image size (default 128).")
    p.add_argument("--tasks", default="face_shape,hair_color,face_color,glasses")
    return p.parse_args()


def _config(tmp: Path, args: argparse.Namespace, cache: bool):
    return resolve_config(overrides=[
        f"data.path={tmp / 'toons'}", f"data.cache_dir={tmp / 'cache'}", f"data.image_size={args.size}",
        f"data.tasks={args.tasks}", f"model.name={args.backbone}", "model.transfer=features",
        f"model.weights={args.weights}", f"train.epochs={args.epochs}", "train.patience=0", "train.progress=false",
        f"train.feature_cache={str(cache).lower()}", "eval.plots=false", "eval.report=false"])


def _run(tmp: Path, args: argparse.Namespace, cache: bool) -> dict:
    cfg = _config(tmp, args, cache)
    load_and_cache(cfg.data)  # images decoded before timing, so neither run pays for it
    start = time.perf_counter()
    metrics = train(cfg, tmp / f"run-{cache}")
    return {"seconds": round(time.perf_counter() - start, 1), "accuracy": round(metrics["mean_accuracy"], 4)}


if __name__ == "__main__":
    main()
