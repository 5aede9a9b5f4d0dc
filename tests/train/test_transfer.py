"""Training a pretrained backbone: cached frozen features, per-group learning rates, gradual unfreezing, auto size."""

from __future__ import annotations

import json

import pytest
import torch

from toonlab.runs import best_checkpoints, load_run_config, read_history
from toonlab.testing import tiny_train_without, train_cli

BACKBONE = ["--model.name=mobilenet_v3_small", "--model.weights=none", "--image-size", "32"]


def test_features_mode_trains_the_head_on_features_computed_once(toy_data, tmp_path, capsys, caplog):
    caplog.set_level("INFO")
    metrics = train_cli(capsys, toy_data, tmp_path / "run", *BACKBONE)
    assert any("computed once" in r.message for r in caplog.records)
    ckpt = torch.load(best_checkpoints(tmp_path / "run")[0], weights_only=True)
    assert any(k.startswith("backbone.trunk.") for k in ckpt["model"])  # the checkpoint is the whole network
    from toonlab.cli import main

    assert main(["eval", str(tmp_path / "run"), "-q"]) == 0  # evaluated on images, through the backbone
    again = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert again["mean_accuracy"] == pytest.approx(metrics["mean_accuracy"])


def test_the_cache_changes_nothing_but_the_time(toy_data, tmp_path, capsys):
    cached = train_cli(capsys, toy_data, tmp_path / "a", *BACKBONE, "--train.precision=fp32")
    direct = train_cli(capsys, toy_data, tmp_path / "b", *BACKBONE, "--train.precision=fp32",
                       "--train.feature_cache=false")
    a, b = (read_history(tmp_path / r / "history.csv") for r in ("a", "b"))
    assert [round(r["val_loss"], 4) for r in a] == [round(r["val_loss"], 4) for r in b]
    assert cached["mean_accuracy"] == pytest.approx(direct["mean_accuracy"])


def _finetune(toy_data, run, unfreeze: int) -> dict:
    from toonlab.cli import main

    tiny = tiny_train_without("--epochs", "--image-size")
    assert main(["train", str(toy_data), "-o", str(run), *BACKBONE, "--model.transfer=finetune", "--epochs", "2",
                 f"--model.unfreeze_epochs={unfreeze}", "--train.patience=0",
                 "--train.weight_decay=0", *tiny]) == 0  # no decay: one param group per rate (head, backbone)
    return torch.load(run / "checkpoints" / "last.pt", weights_only=True)


def _initial_backbone(run) -> dict:
    """The backbone weights the run started from (same seed, same config)."""
    from toonlab.models import create_model
    from toonlab.inference.checkpoint import tasks_from_dict
    from toonlab.workflows.pipeline import _seed_everything

    ckpt = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    _seed_everything(0)
    model = create_model(load_run_config(run).model, tasks_from_dict(ckpt["tasks"]), image_size=32)
    return {k: v for k, v in model.state_dict().items() if k.startswith("backbone.trunk.") and v.is_floating_point()}


@pytest.mark.parametrize("unfreeze, moved", [(2, False), (1, True)])
def test_finetune_keeps_the_backbone_frozen_for_its_epochs(toy_data, tmp_path, unfreeze, moved):
    ckpt = _finetune(toy_data, tmp_path / "run", unfreeze)
    start = _initial_backbone(tmp_path / "run")
    conv = next(k for k in start if k.endswith("weight") and start[k].dim() == 4)
    assert (not torch.equal(ckpt["model"][conv], start[conv])) == moved
    groups = ckpt["optimizer"]["param_groups"]
    assert len(groups) == 2 and groups[1]["lr"] == pytest.approx(groups[0]["lr"] * 0.1)


def test_image_size_zero_takes_the_backbone_size(toy_data, tmp_path):
    from toonlab.cli import main

    assert main(["train", str(toy_data), "-o", str(tmp_path / "run"), "--model.name=resnet18", "--model.weights=none",
                 "--model.transfer=last_layer", "--image-size", "0", *tiny_train_without("--image-size")]) == 0
    assert load_run_config(tmp_path / "run").data.image_size == 224
