"""The CUDA code paths, checked on a machine without a GPU by telling torch there is one: device and
precision choice, the process-group backend and each process's GPU. (Nothing here runs a CUDA kernel.)"""

import warnings

import pytest
import torch

from toonlab.errors import ToonlabError
from toonlab.runtime import Runtime, resolve_runtime
from toonlab.train import distributed


@pytest.fixture
def gpus(monkeypatch):
    """Pretend ``n`` CUDA GPUs are visible (bf16-capable unless told otherwise)."""
    def fake(n: int = 1, bf16: bool = True) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: n > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n)
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: int(__import__("os").environ.get("LOCAL_RANK", 0)))
    return fake


def test_auto_picks_the_gpu_and_bf16_where_the_gpu_has_it(gpus):
    gpus(1, bf16=True)
    runtime = resolve_runtime()
    assert runtime.device.type == "cuda" and runtime.precision == "bf16"
    gpus(1, bf16=False)
    assert resolve_runtime().precision == "fp32"  # an older GPU: no bf16 autocast
    assert resolve_runtime(device="cpu").device.type == "cpu"  # asked for the CPU: the CPU


def test_cuda_autocast_is_bf16_and_fp32_is_a_no_op():
    cuda = Runtime(device=torch.device("cuda"), precision="bf16", channels_last=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # without a GPU torch warns that CUDA autocast is off
        context = cuda.autocast()
    assert isinstance(context, torch.autocast) and context.fast_dtype == torch.bfloat16
    assert context.device == "cuda"
    assert not isinstance(Runtime(torch.device("cuda"), "fp32", True).autocast(), torch.autocast)


def test_the_process_group_uses_nccl_for_gpus_and_gloo_otherwise(gpus):
    assert distributed.backend_for("cuda") == distributed.backend_for("auto") == "gloo"  # no GPU visible
    gpus(2)
    assert distributed.backend_for("auto") == distributed.backend_for("cuda:1") == "nccl"
    assert distributed.backend_for("cpu") == "gloo"


def test_each_process_trains_on_its_own_gpu(gpus, monkeypatch):
    gpus(2)
    monkeypatch.setenv("LOCAL_RANK", "1")
    runtime = distributed.own_device(Runtime(torch.device("cuda"), "bf16", True))
    assert runtime.device == torch.device("cuda", 1) and distributed._local_gpu() == 1
    cpu = Runtime(torch.device("cpu"), "bf16", True)
    assert distributed.own_device(cpu) is cpu


def test_more_processes_than_gpus_is_refused_with_the_fix(gpus, monkeypatch):
    gpus(1)
    monkeypatch.setenv("LOCAL_RANK", "1")
    with pytest.raises(ToonlabError, match="one GPU per process.*at most 1 processes"):
        distributed._local_gpu()

