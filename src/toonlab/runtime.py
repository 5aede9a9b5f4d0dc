"""Where and how tensors run: device, precision (bf16 autocast) and memory format.

The choices are measured in ``benchmarks/train_throughput.py``: on a CPU with
AVX-512 BF16 / AMX, channels-last + bf16 autocast trains about 2x faster than
NCHW fp32; elsewhere toonlab falls back to fp32.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

import torch

from toonlab.errors import ToonlabError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    """The resolved execution settings for a run."""

    device: torch.device
    precision: str  # "bf16" or "fp32"
    channels_last: bool

    def autocast(self) -> contextlib.AbstractContextManager:
        """Autocast context for forward passes (a no-op in fp32)."""
        if self.precision == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def describe(self) -> str:
        fmt = "channels-last" if self.channels_last else "NCHW"
        return f"{self.device.type} {self.precision} {fmt}"


def cpu_has_fast_bf16() -> bool:
    """True when the CPU has native bf16 matmul (AVX-512 BF16 or AMX)."""
    cpu = getattr(torch, "cpu", None)
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(cpu, name, lambda: False)()) for name in checks)


def resolve_runtime(*, device: str = "auto", precision: str = "auto", channels_last: str = "auto") -> Runtime:
    """Turn the config strings into a :class:`Runtime`, checking what the machine supports."""
    dev = _device(device)
    prec = _precision(dev, precision)
    cl = {"auto": True, "on": True, "off": False}.get(str(channels_last))
    if cl is None:
        raise ToonlabError(f"train.channels_last must be 'auto', 'on' or 'off'. Received: {channels_last!r}")
    return Runtime(device=dev, precision=prec, channels_last=cl)


def set_threads(threads: int) -> None:
    """Set torch's CPU threads when asked (0 keeps torch's default, one per core)."""
    if threads > 0:
        torch.set_num_threads(threads)


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ToonlabError(f"train.device={name!r} but no CUDA GPU is visible. Use 'auto' or 'cpu'.")
    if name.split(":")[0] not in ("cpu", "cuda"):
        raise ToonlabError(f"train.device must be 'auto', 'cpu' or 'cuda'. Received: {name!r}")
    return torch.device(name)


def _precision(dev: torch.device, name: str) -> str:
    if name not in ("auto", "bf16", "fp32"):
        raise ToonlabError(f"train.precision must be 'auto', 'bf16' or 'fp32'. Received: {name!r}")
    if name != "auto":
        return name
    if dev.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if cpu_has_fast_bf16() else "fp32"
