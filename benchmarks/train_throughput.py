"""Training throughput: toonlab's pipeline vs a plain PyTorch baseline, side by side in one run.

Both train the same default multi-head CNN (all 18 attributes) on the same built-in cartoon
images for a fixed number of steps:

- toonlab: images decoded once into the uint8 cache, batches converted on the fly,
  channels-last memory format, bf16 autocast where the CPU supports it (also timed in
  all four fp32/bf16 × NCHW/channels-last variants, to show which is fastest here).
- baseline: a ``Dataset`` that opens each PNG with PIL, composites alpha, resizes and
  converts it with torchvision, a ``DataLoader`` (the faster of 0 and 2 workers), fp32, NCHW.

Prints JSON: images/s of both and their ratio, the measured fp32 and bf16 matmul GFLOP/s,
and the fraction of the bf16 matmul peak that toonlab's training loop achieves.

    python benchmarks/train_throughput.py --size 64 --steps 30
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from toonlab.config import ModelConfig
from toonlab.data.batches import MEAN, STD, Batches
from toonlab.data.cache import build_cache
from toonlab.data.sources import load_labels
from toonlab.data.synth import synthesize
from toonlab.models import create_model
from toonlab.runtime import resolve_runtime
from toonlab.models.losses import multitask_loss


def main() -> None:
    args = _parse()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "toons"
        synthesize(data, n=args.images, size=256, seed=0)
        labels = load_labels(data)
        y = np.array([[s.labels[t] for t in labels.tasks] for s in labels.samples], dtype=np.int64)
        paths = [s.path for s in labels.samples]
        t0 = time.perf_counter()
        cache = build_cache(paths, size=args.size, cache_dir=Path(tmp) / "cache")
        cache_s = time.perf_counter() - t0
        ours = _toonlab_speed(cache.images, y, labels.tasks, args, resolve_runtime())
        variants = {f"{prec}-{'channels_last' if cl else 'nchw'}": round(_toonlab_speed(
            cache.images, y, labels.tasks, args, resolve_runtime(precision=prec, channels_last="on" if cl else "off")), 1)
            for prec in ("fp32", "bf16") for cl in (False, True)}
        base, workers = max((_baseline_speed(paths, y, labels.tasks, args, w), w) for w in (0, 2))
    fp32, bf16 = _matmul_gflops(torch.float32), _matmul_gflops(torch.bfloat16)
    flops = _train_flops_per_image(labels.tasks, args.size)
    report = {
        "image_size": args.size, "batch_size": args.batch_size, "steps": args.steps, "threads": torch.get_num_threads(),
        "toonlab_images_per_s": round(ours, 1), "baseline_images_per_s": round(base, 1),
        "speedup": round(ours / base, 2), "baseline_loader_workers": workers,
        "toonlab_runtime": resolve_runtime().describe(), "toonlab_variants_images_per_s": variants,
        "cache_build_s": round(cache_s, 2),
        "matmul_gflops_fp32": round(fp32, 1), "matmul_gflops_bf16": round(bf16, 1),
        "train_gflop_per_image": round(flops / 1e9, 4),
        "train_gflops_achieved": round(ours * flops / 1e9, 1),
        "fraction_of_bf16_peak": round(ours * flops / 1e9 / bf16, 3),
    }
    print(json.dumps(report, indent=2))


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=64, help="Training image size.")
    p.add_argument("--steps", type=int, default=30, help="Timed training steps per pipeline.")
    p.add_argument("--warmup", type=int, default=5, help="Untimed steps first.")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--images", type=int, default=1000, help="Images drawn for the benchmark.")
    return p.parse_args()


def _model(tasks, size: int) -> torch.nn.Module:
    return create_model(ModelConfig(), tasks, image_size=size)


def _timed_steps(model, optimizer, batches, tasks, args, autocast) -> float:
    """Images/s over ``args.steps`` steps after ``args.warmup`` untimed ones."""
    model.train()
    done, start, it = 0, 0.0, _forever(batches)
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            start, done = time.perf_counter(), 0
        x, yb = next(it)
        with autocast():
            out = model(x)
        loss, _ = multitask_loss(out, yb, tasks)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        done += x.shape[0]
    return done / (time.perf_counter() - start)


def _toonlab_speed(images, y, tasks, args, rt) -> float:
    model = _model(tasks, args.size).to(memory_format=torch.channels_last if rt.channels_last else torch.contiguous_format)
    batches = Batches(images, y, np.arange(len(y)), batch_size=args.batch_size, shuffle=True,
                      channels_last=rt.channels_last)
    return _timed_steps(model, torch.optim.Adam(model.parameters()), batches, tasks, args, rt.autocast)


class _PILDataset(torch.utils.data.Dataset):
    """The notebook way: decode every image from disk at every epoch."""

    def __init__(self, paths, y, size):
        self.paths, self.y, self.size = paths, y, size

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        from torchvision.transforms.functional import normalize, to_tensor

        img = Image.open(self.paths[i]).convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, img).convert("RGB").resize((self.size, self.size), Image.Resampling.BILINEAR)
        return normalize(to_tensor(img), MEAN, STD), torch.from_numpy(self.y[i])


def _baseline_speed(paths, y, tasks, args, workers: int) -> float:
    import contextlib

    model = _model(tasks, args.size)
    loader = torch.utils.data.DataLoader(_PILDataset(paths, y, args.size), batch_size=args.batch_size, shuffle=True,
                                         num_workers=workers, persistent_workers=workers > 0)
    return _timed_steps(model, torch.optim.Adam(model.parameters()), loader, tasks, args, contextlib.nullcontext)


def _forever(batches):
    while True:
        yield from batches


def _matmul_gflops(dtype: torch.dtype, n: int = 2048, reps: int = 10) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    for _ in range(2):
        a @ b
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - start) / 1e9


def _train_flops_per_image(tasks, size: int) -> float:
    """Forward + backward FLOPs of one training image, counted by torch's FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode

    model = _model(tasks, size)
    x = torch.randn(8, 3, size, size)
    counter = FlopCounterMode(display=False)
    with counter:
        out = model(x)
        sum(F.log_softmax(v, 1).mean() for v in out.values()).backward()
    return counter.get_total_flops() / 8


if __name__ == "__main__":
    main()
