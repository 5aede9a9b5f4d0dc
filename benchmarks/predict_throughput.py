"""Prediction throughput beside the training step, one run (issue 22, item 4): inference should reach at
least half the training step's images/s.

A short run of the default network is trained on drawn faces (64 px); then, on the same images already in
memory, rows take turns:

- ``train_step``: toonlab's training step (forward, backward, update) on batches of ``--batch-size``;
- ``predict_pixels``: the inference path on decoded uint8 pixels (eval mode, no gradients, the run's runtime);
- ``run_predict``: the Python API, ``Run.predict`` on uint8 arrays (each image composited and resized as a
  file would be, then predicted); ``run_predict_files``: the same on the PNG files (decoding included, as
  ``toonlab predict`` does);
- ``onnxruntime``: the run exported with ``toonlab export`` and run by ONNX Runtime on the preprocessed float
  batch (skipped with a note when onnx / onnxruntime are missing).

Prints JSON: images/s min / median / max per row and each row's median over the training step's.

    python benchmarks/predict_throughput.py --images 512 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import toonlab
from toonlab.data.batches import Batches
from toonlab.data.synth import synthesize
from toonlab.inference.networks import load_networks
from toonlab.inference.predict import predict_pixels
from toonlab.models.transfer import param_groups
from toonlab.train.loop import train_step
from toonlab.train.optim import build_optimizer


def main() -> None:
    args = _parser().parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        synthesize(tmp / "faces", n=args.images, size=64, seed=0)
        run = toonlab.train(tmp / "faces", tmp / "run", epochs=1, progress=False, data={"workers": 1})
        rows, skipped = _rows(run, args, tmp)
        times = {name: [] for name in rows}
        for r in range(args.rounds):
            for name in list(rows)[r % len(rows):] + list(rows)[: r % len(rows)]:  # rotate the order
                start = time.perf_counter()
                done = rows[name]()
                times[name].append(done / (time.perf_counter() - start))
    base = statistics.median(times["train_step"])
    out = {"images": args.images, "batch_size": args.batch_size, "rounds": args.rounds, "threads": torch.get_num_threads(),
           "rows": {name: {"images_per_s": _summary(v), "median_over_train_step": round(statistics.median(v) / base, 3)}
                    for name, v in times.items()}, "skipped": skipped}
    print(json.dumps(out, indent=2))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", type=int, default=512, help="Faces drawn, trained on for one epoch and predicted.")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--rounds", type=int, default=5, help="Timed passes per row (rows take turns).")
    return p


def _rows(run, args: argparse.Namespace, tmp: Path) -> tuple[dict, dict]:
    """Each row: a function that does one timed pass over the images and returns how many it handled."""
    nets = load_networks(run.dir, device="cpu")
    prep = nets[0].prep
    pixels, files = _pixels(tmp), sorted((tmp / "faces").rglob("*.png"))
    rows = {"train_step": _train(run, nets[0], pixels, args.batch_size),
            "predict_pixels": lambda: len(predict_pixels([nets], prep, pixels, batch_size=args.batch_size)
                                          [next(iter(nets[0].tasks))]),
            "run_predict": lambda: len(run.predict(list(pixels), batch_size=args.batch_size)),
            "run_predict_files": lambda: len(run.predict(files, batch_size=args.batch_size))}
    skipped = {}
    try:
        rows["onnxruntime"] = _onnx(run, prep, nets[0], pixels, tmp, args.batch_size)
    except ImportError as e:
        skipped["onnxruntime"] = f"not installed ({e.name}); pip install onnx onnxruntime"
    return rows, skipped


def _pixels(tmp: Path) -> np.ndarray:
    """The drawn faces as (N, 64, 64, 3) uint8, decoded the way the run's cache did."""
    from toonlab.data.cache import decode_image

    return np.stack([decode_image(p, 64, (255, 255, 255)) for p in sorted((tmp / "faces").rglob("*.png"))])


def _train(run, net, pixels: np.ndarray, batch_size: int):
    """A fresh copy of the run's network trained step by step (its weights are not the run's afterwards)."""
    import copy

    model = copy.deepcopy(net.model).train()
    cfg = run.config
    optimizer = build_optimizer(param_groups(model, cfg.train.lr, cfg.model.backbone_lr, cfg.train.shared_lr), cfg.train)
    labels = np.zeros((len(pixels), len(net.tasks)), dtype=np.float32)
    batches = Batches(pixels, labels, np.arange(len(pixels)), batch_size=batch_size, channels_last=net.runtime.channels_last)

    def one_pass() -> int:
        for x, y in batches:
            train_step(model, x, y, optimizer, tasks=net.tasks, runtime=net.runtime,
                       label_smoothing=cfg.train.label_smoothing)
        return len(pixels)

    return one_pass


def _onnx(run, prep, net, pixels: np.ndarray, tmp: Path, batch_size: int):
    import onnxruntime as ort

    from toonlab.ship.onnx_export import export_onnx

    path = tmp / "run.onnx"
    export_onnx(run.dir, path, verify=False)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    fp32 = prep.to_tensor(pixels, _fp32(net.runtime)).contiguous().numpy()

    def one_pass() -> int:
        for lo in range(0, len(fp32), batch_size):
            session.run(None, {"image": fp32[lo : lo + batch_size]})
        return len(fp32)

    return one_pass


def _fp32(runtime):
    from dataclasses import replace

    return replace(runtime, precision="fp32", channels_last=False)


def _summary(values: list[float]) -> dict[str, float]:
    return {"min": round(min(values), 1), "median": round(statistics.median(values), 1), "max": round(max(values), 1)}


if __name__ == "__main__":
    main()
