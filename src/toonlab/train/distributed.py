"""Data-parallel training: one model on the N processes of a ``--nproc N`` or torchrun launch.

Each process joins a process group (gloo on CPU, NCCL on GPU, one GPU per process), wraps the
model in ``DistributedDataParallel`` and trains on its own part of every batch:

* ``train.batch_size`` is the *global* batch. Every process draws the same seeded order, and each
  step splits one batch into N disjoint, near-equal parts (:class:`ShardedBatches`), so steps per
  epoch, schedules and learning rates are those of ``--nproc 1``. DDP averages the N gradients.
* Only rank 0 writes the run folder (config, splits, logs, checkpoints, metrics.json, eval/), and it
  alone evaluates: the validation split each epoch, the test split at the end.
* Every process takes the same decisions: the epoch's train sums are added over processes and rank
  0's validation metrics are handed to all (:meth:`Parallel.agree`), so early stopping and the end
  of training agree; a non-finite loss on any process rolls all of them back (:func:`every_process`
  in ``check_loss``); gradients are identical after DDP's all-reduce, so the gradient check agrees.
* A ``ToonlabError`` on rank 0 while preparing (a bad option, a folder that holds a run) stops the
  other ranks too. Inside a session every rank's ``ToonlabError`` becomes
  :class:`~toonlab.train.launch.ReportedByRankZero` on ranks other than 0, so the command line says it once.

Processes other than rank 0 draw dropout masks and augmentations from their own seeds; on
``--resume`` they restart those streams, so a resumed multi-process run continues correctly but
not bit-identically.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from toonlab.data.batches import Batches
from toonlab.errors import ToonlabError
from toonlab.runtime import Runtime, set_threads
from toonlab.train.callbacks import (
    Callback,
    CSVLogger,
    ModelCheckpoint,
    TensorBoardLogger,
)
from toonlab.train.launch import ReportedByRankZero, world_size
from toonlab.train.state import Fit, Meter

T = TypeVar("T")
MIN_PER_PROCESS = 2  # images of a batch each process needs (batch norm cannot train on one)
WRITERS = (CSVLogger, TensorBoardLogger, ModelCheckpoint)  # callbacks that write the run folder
# Ranks wait for rank 0 while it caches the images and evaluates the test split: be patient.
TIMEOUT = datetime.timedelta(hours=2)


def requested() -> bool:
    """True inside a launch of several processes (torchrun, ``--nproc``) or an open process group."""
    return world_size() > 1 or active()


def active() -> bool:
    """True while this process trains together with others (a process group of 2 or more is open)."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def processes() -> int:
    """How many processes train together (1 without a process group)."""
    return dist.get_world_size() if active() else 1


def is_main() -> bool:
    """True on rank 0 (and when there is only one process): the one that writes and evaluates."""
    return not active() or dist.get_rank() == 0


# --- the process group -----------------------------------------------------------------------------

def backend_for(device: str) -> str:
    """'nccl' when train.device puts the run on CUDA GPUs, else 'gloo'."""
    cuda = device.startswith("cuda") or device == "auto"
    return "nccl" if cuda and torch.cuda.is_available() else "gloo"


@contextlib.contextmanager
def session(backend: str = "gloo", *, threads: int = 0) -> Iterator[None]:
    """Join the launch's process group for the ``with`` block (an already open group is used as is).

    Torch threads: ``threads``, or the cores divided among the processes. Ranks other than 0 log
    only errors.
    """
    own = not dist.is_initialized()
    if own:
        _check_env()
        if backend == "nccl":
            torch.cuda.set_device(_local_gpu())
        dist.init_process_group(backend, timeout=TIMEOUT)
    set_threads(threads or max(1, _cores() // int(os.environ.get("LOCAL_WORLD_SIZE", dist.get_world_size()))))
    logger, level = logging.getLogger("toonlab"), logging.getLogger("toonlab").level
    if not is_main():
        logger.setLevel(logging.ERROR)
    try:
        yield
        if own:  # no rank tears the group down while another still uses it
            dist.barrier()
    except ToonlabError as e:  # e.g. a DivergenceError: every rank decided the same, rank 0 says so
        if is_main() or isinstance(e, ReportedByRankZero):
            raise
        raise ReportedByRankZero(str(e)) from e
    finally:
        logger.setLevel(level)
        if own:
            dist.destroy_process_group()


def _check_env() -> None:
    missing = [v for v in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT") if v not in os.environ]
    if missing:
        raise ToonlabError(f"WORLD_SIZE={os.environ.get('WORLD_SIZE')} asks for data-parallel training, but "
                           f"{', '.join(missing)} is not set. Start it with `toonlab train ... --nproc N` or "
                           f"`torchrun --nproc_per_node N -m toonlab train ...`, which set them all.")


def _local_gpu() -> int:
    local, gpus = int(os.environ.get("LOCAL_RANK", "0")), torch.cuda.device_count()
    if local >= gpus:
        raise ToonlabError(f"Data-parallel training on GPUs needs one GPU per process, but this machine has "
                           f"{gpus}. Use at most {gpus} processes, or --train.device=cpu. Received: LOCAL_RANK={local}")
    return local


def own_device(runtime: Runtime) -> Runtime:
    """On CUDA each process trains on its own GPU (cuda:LOCAL_RANK)."""
    if runtime.device.type != "cuda":
        return runtime
    return replace(runtime, device=torch.device("cuda", torch.cuda.current_device()))


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# --- agreeing ----------------------------------------------------------------------------------------

def share(value: T) -> T:
    """Rank 0's ``value`` on every process (``value`` itself without a process group)."""
    if not active():
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def on_main(fn: Callable[[], T], *, send: bool = True) -> T:
    """Run ``fn`` on rank 0 only; every process returns its result (``send=False``: the others get None).

    When ``fn`` fails on rank 0 the others raise :class:`~toonlab.train.launch.ReportedByRankZero`.
    """
    if not active():
        return fn()
    if not is_main():
        outcome = share(None)
        if outcome["error"] is not None:
            raise ReportedByRankZero(outcome["error"])
        return outcome["value"]
    try:
        value = fn()
    except Exception as e:
        share({"error": str(e) if isinstance(e, ToonlabError) else f"rank 0 failed: {e!r}", "value": None})
        raise
    share({"error": None, "value": value if send else None})
    return value


def main_first(fn: Callable[[], T]) -> T:
    """Run ``fn`` on rank 0, then (if it succeeded) on the other processes: e.g. rank 0 builds a cache they reuse."""
    value = on_main(fn, send=False)
    return value if is_main() else fn()


def every_process(flag: bool, device: torch.device | str = "cpu") -> bool:
    """True only when ``flag`` is True on every process (one tiny all-reduce; ``flag`` itself without a group)."""
    if not active():
        return flag
    t = torch.tensor([int(flag)], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MIN)
    return bool(t.item())


def reduce_meter(meter: Meter, device: torch.device | str = "cpu") -> Meter:
    """A meter holding the sums of every process's ``meter`` (each counted its own part of the batches)."""
    if not active():
        return meter
    names = list(meter.loss)
    sums = torch.tensor([[meter.loss[t], meter.correct[t], meter.count[t]] for t in names], dtype=torch.float64,
                        device=device)
    dist.all_reduce(sums)
    out = Meter.from_state(meter.state_dict())
    for t, (loss, correct, count) in zip(names, sums.tolist()):
        out.loss[t], out.correct[t], out.count[t] = loss, correct, round(count)
    return out


# --- one fit on several processes ------------------------------------------------------------------

class ShardedBatches:
    """This process's part of every batch of ``batches`` (the same seeded order on every process).

    Each batch's rows (sorted, as :class:`~toonlab.data.batches.Batches` reads them) are cut into
    ``world`` contiguous, near-equal parts; rank ``r`` takes part ``r``. A last batch too small to give
    every process ``MIN_PER_PROCESS`` images is left out, as ``Batches`` leaves out a last single image.

    Example:
        >>> imgs = np.zeros((10, 8, 8, 3), np.uint8); y = np.zeros((10, 1), np.int64)
        >>> b = Batches(imgs, y, np.arange(10), batch_size=4)
        >>> [rows.tolist() for rows in ShardedBatches(b, rank=1, world=2).rows()]
        [[2, 3], [6, 7]]
    """

    def __init__(self, batches: Batches, *, rank: int, world: int) -> None:
        self.batches, self.rank, self.world = batches, rank, world

    def set_epoch(self, epoch: int) -> None:
        self.batches.set_epoch(epoch)

    def __len__(self) -> int:
        n = len(self.batches)
        last = self.batches.used() - (n - 1) * self.batches.batch_size
        return n - 1 if n and last < MIN_PER_PROCESS * self.world else n

    def rows(self) -> Iterator[np.ndarray]:
        """Row indices of this process's part of each batch, in this epoch's order."""
        for _, rows in zip(range(len(self)), self.batches.rows()):
            yield np.array_split(rows, self.world)[self.rank]

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for rows in self.rows():
            yield self.batches.load(rows)


def shard(train: Batches, val: Batches) -> tuple[Any, Any]:
    """This process's training batches and validation batches (all of them on rank 0, none elsewhere)."""
    if not active():
        return train, val
    return ShardedBatches(train, rank=dist.get_rank(), world=dist.get_world_size()), (val if is_main() else [])


def rank_callbacks(callbacks: list[Callback]) -> list[Callback]:
    """All ``callbacks`` on rank 0; elsewhere only those that decide (early stopping, extras), not the writers."""
    return callbacks if is_main() else [cb for cb in callbacks if not isinstance(cb, WRITERS)]


class Parallel:
    """What :func:`~toonlab.train.loop.fit` uses when one model trains on several processes (``Fit.parallel``)."""

    def __init__(self, model: torch.nn.Module, device: torch.device) -> None:
        self.device = device
        self.model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    def agree(self, state: Fit, logs: dict[str, float]) -> dict[str, float]:
        """The epoch's logs every process acts on: train sums over all processes, rank 0's validation.

        Also hands out rank 0's batch-norm statistics, so every process ends the epoch with the same model.
        """
        if state.meter is not None:
            logs.update(reduce_meter(state.meter, self.device).logs("train"))
        for buffer in state.model.buffers():
            dist.broadcast(buffer, src=0)
        return share(logs)


def parallelize(state: Fit) -> None:
    """Wrap ``state.model`` in DDP (rank 0's weights reach every process) and give other ranks their own
    random streams (dropout, augmentation). Does nothing for one process."""
    if not active():
        return
    state.parallel = Parallel(state.model, state.runtime.device)
    rank = dist.get_rank()
    if rank == 0:
        return
    seed = state.options.seed
    state.options.seed = int(np.random.SeedSequence([seed, rank]).generate_state(1)[0])  # augmentation
    torch.manual_seed(int(np.random.SeedSequence([seed, rank, state.epoch]).generate_state(1)[0]))  # dropout
    state.augment_rng, state.meter = None, None  # a mid-epoch checkpoint holds rank 0's, not ours
