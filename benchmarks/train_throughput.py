"""Training throughput: toonlab's step against a hand-written PyTorch loop and Keras, same network and data.

Every row trains the same network (toonlab's default multi-head CNN for all 18 attributes of the
built-in cartoon set at 64 px, or with ``--demo`` the demo recipe's network at 128 px) on the same
batches of the same in-memory uint8 images (decoded before any clock starts):

- ``toonlab_step``: ``toonlab.train.loop.train_step`` with the runtime toonlab picks (bf16 autocast and
  channels-last where the CPU has native bf16), toonlab's optimizer and batch conversion.
- ``toonlab_epoch_loop``: ``train_one_epoch`` around that step (adds the running metrics and the schedule).
- ``hand_written``: a minimal plain-PyTorch loop with the best settings (``hand_torch.py``: bf16 autocast,
  channels-last, fused AdamW, ``set_to_none``) on a plain ``nn.Sequential`` twin of the network.
- ``hand_loop_toonlab_net``: the same hand-written loop on toonlab's own model (separates loop from model).
- ``keras_fp32`` / ``keras_bf16``: Keras 3 on TensorFlow (``keras_cnn.py``), float32 and ``mixed_bfloat16``;
  skipped with a note when not installed (``pip install -e ".[bench]"``).
- with ``--variants``, toonlab's step in its other runtimes too (fp32 / bf16 × NCHW / channels-last).

Rows take turns: each round times one window of ``--steps`` steps per row (the order rotating), and
also times the bf16 and fp32 matmul peak, so the machine's noise falls on every row alike. Prints
JSON: per row images/s (min / median / max over windows), GFLOP/s achieved (3 × the forward FLOPs
counted by ``FlopCounterMode``) and its fraction of the best bf16 matmul rate; the median of the
per-round ratios to ``hand_written``.

    python benchmarks/train_throughput.py                  # default model, 64 px, batch 64
    python benchmarks/train_throughput.py --demo           # the demo recipe's network at 128 px
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hand_torch  # noqa: E402
import keras_cnn  # noqa: E402
from keras_cnn import Arch  # noqa: E402

from toonlab.config import ExperimentConfig  # noqa: E402
from toonlab.data.batches import MEAN, STD, Batches  # noqa: E402
from toonlab.data.cache import build_cache  # noqa: E402
from toonlab.data.sources import load_labels  # noqa: E402
from toonlab.data.synth import synthesize  # noqa: E402
from toonlab.models import create_model  # noqa: E402
from toonlab.models.options import stage_strides  # noqa: E402
from toonlab.models.transfer import param_groups  # noqa: E402
from toonlab.runtime import resolve_runtime  # noqa: E402
from toonlab.train.loop import train_one_epoch, train_step  # noqa: E402
from toonlab.train.optim import build_optimizer, build_scheduler  # noqa: E402

Window = Callable[[list], None]  # trains on a list of batches (row indices into the images)


def main() -> None:
    args = _parse()
    cfg = _config(args)
    size = cfg.data.image_size
    torch.manual_seed(0)
    images, y, tasks = _data(args, size)
    arch, classes = _arch(cfg, size), {t: spec.num_classes for t, spec in tasks.items()}
    rows, params, skipped = _rows(cfg, arch, tasks, classes, images, y, args)
    plan = [np.sort(b) for b in np.random.default_rng(0).permutation(
        np.resize(np.arange(len(y)), args.batch_size * 64)).reshape(64, args.batch_size)]
    rates, peaks = _rounds(rows, plan, args)
    flops = _flops(cfg, tasks, size)
    print(json.dumps(_report(args, len(tasks), size, rates, peaks, flops, params, skipped), indent=2))


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--demo", action="store_true", help="The demo recipe's network, optimizer and size (128 px).")
    p.add_argument("--size", type=int, default=0, help="Image size; 0 = 64, or the recipe's with --demo.")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=5, help="Training steps per timed window.")
    p.add_argument("--rounds", type=int, default=6, help="Timed windows per row (rows take turns).")
    p.add_argument("--warmup", type=int, default=5, help="Untimed steps per row first.")
    p.add_argument("--images", type=int, default=1000, help="Images drawn for the benchmark.")
    p.add_argument("--matmul-n", type=int, default=4096, help="Side of the square matmuls of the peak rates.")
    p.add_argument("--variants", action="store_true", help="Also time toonlab's step in the other three runtimes "
                   "(fp32 / bf16 × NCHW / channels-last).")
    p.add_argument("--no-keras", action="store_true", help="Skip the Keras rows even when Keras is installed.")
    return p.parse_args()


def _config(args: argparse.Namespace) -> ExperimentConfig:
    if args.demo:
        from toonlab.demo import demo_config

        cfg = demo_config()
    else:
        cfg = ExperimentConfig()
        cfg.data.image_size = 64
    cfg.train.batch_size = args.batch_size
    cfg.data.image_size = args.size or cfg.data.image_size
    return cfg


def _data(args: argparse.Namespace, size: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """The built-in faces decoded into memory: uint8 (N, size, size, 3), float labels (N, tasks), task specs."""
    with tempfile.TemporaryDirectory() as tmp:
        synthesize(Path(tmp) / "toons", n=args.images, size=256, seed=0)
        labels = load_labels(Path(tmp) / "toons")
        cache = build_cache([s.path for s in labels.samples], size=size, cache_dir=Path(tmp) / "cache")
        images = np.array(cache.images)  # a copy in memory: the memory map goes with the folder
    y = np.array([[s.labels[t] for t in labels.tasks] for s in labels.samples], dtype=np.float32)
    return images, y, dict(labels.tasks)


def _arch(cfg: ExperimentConfig, size: int) -> Arch:
    """The network toonlab builds for ``cfg``, in the terms the hand-written and Keras twins take."""
    m = cfg.model
    mirrored = {"name": "cnn", "kernel_size": 3, "padding": "same", "norm": "batch", "activation": "relu",
                "norm_position": "before_activation", "lrn_size": 0, "pool": "max", "pool_size": 2, "pool_stride": 0,
                "dropout": 0.0, "global_pool": "avg", "branch_stages": 0, "head_depth": 1, "dropconnect": 0.0}
    differ = {k: getattr(m, k) for k, v in mirrored.items() if getattr(m, k) != v}
    if differ:
        sys.exit(f"The hand-written and Keras twins mirror toonlab's CNN with {mirrored}; this config has {differ}.")
    return Arch(size=size, widths=tuple(int(w) for w in m.widths), strides=tuple(stage_strides(m, size)),
                convs_per_stage=m.convs_per_stage, head_width=m.head_width, head_dropout=m.head_dropout,
                mean=MEAN[0] * 255, std=STD[0] * 255)


def _rows(cfg, arch, tasks, classes, images, y, args) -> tuple[dict[str, Window], dict[str, int], dict[str, str]]:
    """Each row's window function, its trainable parameter count, and the rows skipped (with why)."""
    rt, t = resolve_runtime(), cfg.train
    best = {"bf16": rt.precision == "bf16", "channels_last": rt.channels_last, "lr": t.lr,
            "weight_decay": t.weight_decay, "smoothing": t.label_smoothing}
    nets = {name: _toonlab_net(cfg, tasks, arch.size, rt) for name in ("step", "epoch", "hand")}
    hand_net = hand_torch.network(arch, classes)
    hand = {"hand_written": hand_torch.hand_step(hand_net, arch, classes, **best),
            "hand_loop_toonlab_net": hand_torch.hand_step(nets["hand"], arch, classes, **best)}
    rows = {"toonlab_step": _toonlab_step(cfg, nets["step"], tasks, images, y, rt),
            "toonlab_epoch_loop": _toonlab_epoch(cfg, nets["epoch"], tasks, images, y, rt),
            **{name: _plain_window(step, images, y) for name, step in hand.items()}}
    params = {name: _count(nets["step"]) for name in ("toonlab_step", "toonlab_epoch_loop", "hand_loop_toonlab_net")}
    params["hand_written"] = _count(hand_net)
    for name, variant in (_variants(rt) if args.variants else {}).items():
        rows[name], params[name] = _toonlab_step(cfg, _toonlab_net(cfg, tasks, arch.size, variant), tasks, images, y,
                                                 variant), params["toonlab_step"]
    skipped = {}
    reason = "--no-keras" if args.no_keras else keras_cnn.missing()
    if reason:
        skipped["keras"] = reason
    else:
        keras_cnn.set_threads(torch.get_num_threads())
        onehots = [np.eye(k, dtype=np.float32)[y[:, j].astype(int)] for j, k in enumerate(classes.values())]
        for prec in ("fp32", "bf16"):
            step, params[f"keras_{prec}"] = keras_cnn.keras_step(arch, classes, precision=prec, lr=t.lr,
                                                                   weight_decay=t.weight_decay, smoothing=t.label_smoothing)
            rows[f"keras_{prec}"] = _plain_window(lambda x, rows, step=step: step(x, [o[rows] for o in onehots]),
                                                  images, None)
    return rows, params, skipped


def _variants(picked) -> dict:
    """toonlab's runtimes other than the one it picks here, by row name."""
    runtimes = {f"toonlab_step_{prec}_{fmt}": resolve_runtime(precision=prec, channels_last={"nchw": "off"}.get(fmt, "on"))
                for prec in ("fp32", "bf16") for fmt in ("nchw", "channels_last")}
    return {name: rt for name, rt in runtimes.items() if rt != picked}


def _toonlab_net(cfg: ExperimentConfig, tasks: dict, size: int, rt) -> torch.nn.Module:
    fmt = torch.channels_last if rt.channels_last else torch.contiguous_format
    return create_model(cfg.model, tasks, image_size=size).to(rt.device, memory_format=fmt)


def _toonlab_optimizer(cfg: ExperimentConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    """The optimizer ``toonlab train`` builds for this config."""
    return build_optimizer(param_groups(model, cfg.train.lr, cfg.model.backbone_lr, cfg.train.shared_lr), cfg.train)


def _toonlab_step(cfg, model, tasks, images, y, rt) -> Window:
    optimizer = _toonlab_optimizer(cfg, model)
    batches = Batches(images, y, np.arange(len(y)), batch_size=cfg.train.batch_size, channels_last=rt.channels_last)

    def window(plan: list) -> None:
        model.train()
        for rows in plan:
            x, yb = batches.load(rows)
            train_step(model, x, yb, optimizer, tasks=tasks, runtime=rt, label_smoothing=cfg.train.label_smoothing)

    return window


def _toonlab_epoch(cfg, model, tasks, images, y, rt) -> Window:
    optimizer = _toonlab_optimizer(cfg, model)
    scheduler = build_scheduler(optimizer, replace(cfg.train, epochs=1), steps_per_epoch=10**6)
    batches = Batches(images, y, np.arange(len(y)), batch_size=cfg.train.batch_size, channels_last=rt.channels_last)
    return lambda plan: train_one_epoch(model, (batches.load(rows) for rows in plan), optimizer, tasks=tasks,
                                        runtime=rt, scheduler=scheduler, label_smoothing=cfg.train.label_smoothing)


def _plain_window(step: Callable, images: np.ndarray, y: np.ndarray | None) -> Window:
    """A window of ``step(images[rows], labels[rows])`` (Keras: ``step(images[rows], rows)``)."""

    def window(plan: list) -> None:
        for rows in plan:
            step(images[rows], rows if y is None else y[rows])

    return window


def _count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _rounds(rows: dict[str, Window], plan: list, args) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Warm every row up, then ``args.rounds`` rounds: one timed window per row, the order rotating, and the
    matmul peaks. Returns images/s per row and GFLOP/s per matmul dtype, one value per round."""
    for window in rows.values():
        window(plan[: args.warmup])
    names, rates = list(rows), {name: [] for name in rows}
    peaks = {"bf16": [], "fp32": []}
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            batch = [plan[(r * args.steps + i) % len(plan)] for i in range(args.steps)]
            start = time.perf_counter()
            rows[name](batch)
            rates[name].append(args.steps * args.batch_size / (time.perf_counter() - start))
        for dtype in peaks:
            peaks[dtype].append(_matmul_gflops(getattr(torch, {"bf16": "bfloat16", "fp32": "float32"}[dtype]),
                                               args.matmul_n))
    return rates, peaks


def _matmul_gflops(dtype: torch.dtype, n: int, reps: int = 3) -> float:
    """The best GFLOP/s of ``reps`` single ``n``×``n`` matmuls, after one untimed."""
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    a @ b
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def _flops(cfg: ExperimentConfig, tasks: dict, size: int) -> dict[str, float]:
    """FLOPs per image of toonlab's network (convs and matmuls, as FlopCounterMode counts them)."""
    from torch.utils.flop_counter import FlopCounterMode

    model, x = create_model(cfg.model, tasks, image_size=size).train(), torch.randn(8, 3, size, size)
    forward, both = FlopCounterMode(display=False), FlopCounterMode(display=False)
    with forward:
        out = model(x)
    with both:
        sum(v.float().logsumexp(1).mean() for v in model(x).values()).backward()
    return {"forward": forward.get_total_flops() / 8, "counted_train": both.get_total_flops() / 8}


def _report(args, n_tasks, size, rates, peaks, flops, params, skipped) -> dict:
    train = 3 * flops["forward"]
    best = {dtype: max(values) for dtype, values in peaks.items()}
    rows = {}
    for name, values in rates.items():
        med = statistics.median(values)
        rows[name] = {"params": params[name], "images_per_s": {"min": round(min(values), 1), "median": round(med, 1),
                                                                "max": round(max(values), 1)},
                      "gflops_median": round(med * train / 1e9, 1),
                      "fraction_of_bf16_peak": round(med * train / 1e9 / best["bf16"], 3),
                      "fraction_of_fp32_peak": round(med * train / 1e9 / best["fp32"], 3)}
    ratios = {f"{name}/hand_written": round(statistics.median(a / b for a, b in zip(rates[name], rates["hand_written"])), 3)
              for name in rates if name != "hand_written"}
    return {
        "network": "demo recipe" if args.demo else "default ModelConfig", "image_size": size,
        "batch_size": args.batch_size, "tasks": n_tasks,
        "steps_per_window": args.steps, "windows": args.rounds, "warmup_steps": args.warmup,
        "threads": torch.get_num_threads(), "toonlab_runtime": resolve_runtime().describe(), "versions": _versions(),
        "forward_gflop_per_image": round(flops["forward"] / 1e9, 4), "train_gflop_per_image": round(train / 1e9, 4),
        "counted_train_gflop_per_image": round(flops["counted_train"] / 1e9, 4),
        "matmul_n": args.matmul_n, "matmul_gflops": {d: {"best": round(max(v), 1), "median": round(statistics.median(v), 1),
                                                         "min": round(min(v), 1)} for d, v in peaks.items()},
        "rows": rows, "ratios_median_per_round": ratios, "skipped": skipped,
    }


def _versions() -> dict[str, str]:
    found = {"torch": torch.__version__}
    for name in ("keras", "tensorflow"):
        module = sys.modules.get(name)
        if module is not None:
            found[name] = module.__version__
    return found


if __name__ == "__main__":
    main()
