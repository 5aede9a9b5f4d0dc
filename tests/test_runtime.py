import pytest
import torch

from toonlab.errors import ToonlabError
from toonlab.runtime import cpu_has_fast_bf16, resolve_runtime


def test_auto_picks_bf16_only_where_supported():
    rt = resolve_runtime(device="cpu")
    assert rt.precision == ("bf16" if cpu_has_fast_bf16() else "fp32")
    assert rt.channels_last


def test_fp32_autocast_is_a_no_op():
    rt = resolve_runtime(device="cpu", precision="fp32", channels_last="off")
    with rt.autocast():
        out = torch.ones(2, 2) @ torch.ones(2, 2)
    assert out.dtype == torch.float32 and not rt.channels_last


def test_bf16_autocast_runs_matmul_in_bf16():
    rt = resolve_runtime(device="cpu", precision="bf16")
    with rt.autocast():
        out = torch.ones(2, 2) @ torch.ones(2, 2)
    assert out.dtype == torch.bfloat16


@pytest.mark.parametrize("kw", [{"precision": "fp16"}, {"device": "tpu"}, {"channels_last": "maybe"}])
def test_bad_values_explain(kw):
    with pytest.raises(ToonlabError, match="Received"):
        resolve_runtime(**kw)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU message")
def test_cuda_without_gpu_explains():
    with pytest.raises(ToonlabError, match="no CUDA GPU"):
        resolve_runtime(device="cuda")
