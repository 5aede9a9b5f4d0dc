"""On a machine with a CUDA GPU: train, resume, evaluate and predict there (skipped without one).

`benchmarks/gpu_check.sh` runs this file first on a GPU machine; CI has none, so here it only skips.
"""

import json

import pytest
import torch

import toonlab
from toonlab.cli import main
from toonlab.testing import make_toy_cartoonset, tiny_train_without

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

ON_GPU = [*tiny_train_without("--train.precision", "--epochs"), "--train.device=cuda"]


@pytest.mark.parametrize("precision", ["bf16", "fp32"])
def test_train_resume_and_predict_on_the_gpu(tmp_path, precision):
    data = make_toy_cartoonset(tmp_path / "toy", n=40, size=24)
    run = tmp_path / "run"
    flags = [*ON_GPU, f"--train.precision={precision}", f"--data.cache_dir={tmp_path / 'cache'}",
             "--train.schedule=none"]  # a constant rate, so the run can be resumed for more epochs
    assert main(["train", str(data), "-o", str(run), "--epochs", "1", *flags]) == 0
    assert main(["train", str(data), "-o", str(run), "--epochs", "2", "--resume", *flags]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["device"].startswith(f"cuda {precision}")
    loaded = toonlab.load(run)
    on_gpu = loaded.predict(sorted(data.rglob("*.png"))[:4], device="cuda")
    on_cpu = loaded.predict(sorted(data.rglob("*.png"))[:4], device="cpu")
    for gpu, cpu in zip(on_gpu, on_cpu):  # the same network on either device: the same answers
        assert gpu.keys() == cpu.keys() and all(abs(gpu[t]["probability"] - cpu[t]["probability"]) < 0.05 for t in gpu)
