import numpy as np
import pytest
import torch
from torch import nn

from toonlab.config import ModelConfig
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.explain.attribution import (METHODS, attribute, baseline_tensor, find_layer, gaussian_blur,
                                         input_attributions)
from toonlab.models import create_model

CLS = TaskSpec("cls", classes=("a", "b"))
REG = TaskSpec("reg", kind="regression")
TASKS = {"cls": CLS, "reg": REG}


class LinearNet(nn.Module):
    """Hand-weighted: cls logit k = sum(W[k] * x) + k, reg = sum(V * x) + 1, over (3, 2, 2) images."""

    def __init__(self):
        super().__init__()
        w = torch.arange(24, dtype=torch.float32).view(2, 3, 2, 2) - 11.5  # signs on both sides
        self.w = nn.Parameter(w)
        self.v = nn.Parameter(torch.linspace(-1, 2, 12).view(3, 2, 2))

    def forward(self, x):
        cls = torch.einsum("bchw,kchw->bk", x, self.w) + torch.tensor([0.0, 1.0])
        return {"cls": cls, "reg": (x * self.v).sum((1, 2, 3)) + 1.0}


@pytest.fixture
def x():
    return torch.tensor(np.random.default_rng(0).normal(size=(2, 3, 2, 2)), dtype=torch.float32)


def tiny_cnn(**cfg):
    torch.manual_seed(0)
    options = {"widths": [4, 8], "convs_per_stage": 1, "head_width": 8, **cfg}  # stages[i][0]: each stage's conv
    return create_model(ModelConfig(**options), TASKS, image_size=16).eval()


@pytest.fixture(scope="module")
def cnn():
    return tiny_cnn()


def test_saliency_of_a_linear_net_is_the_absolute_weight_summed_over_channels(x):
    net = LinearNet()
    maps = attribute(net, x, "cls", CLS, torch.tensor([0, 1]), "saliency")
    expected = np.stack([net.w[0].abs().sum(0).detach().numpy(), net.w[1].abs().sum(0).detach().numpy()])
    np.testing.assert_allclose(maps, expected, rtol=1e-6)
    assert maps.dtype == np.float32 and maps.shape == (2, 2, 2)


def test_integrated_gradients_with_a_zero_baseline_are_input_times_weight_exactly(x):
    net = LinearNet()
    signed = input_attributions(net, x, "cls", CLS, torch.tensor([1, 0]), "ig", baseline=torch.zeros(1), steps=5)
    expected = torch.stack([x[0] * net.w[1], x[1] * net.w[0]]).detach()
    torch.testing.assert_close(signed, expected, rtol=1e-5, atol=1e-6)
    maps = attribute(net, x, "cls", CLS, torch.tensor([1, 0]), "ig", baseline=torch.zeros(1), steps=5)
    np.testing.assert_allclose(maps, expected.abs().sum(1).numpy(), rtol=1e-5, atol=1e-6)


def test_black_baseline_is_what_a_black_image_becomes_and_ig_uses_it(x):
    net = LinearNet()
    black = baseline_tensor(x, "black")
    torch.testing.assert_close(black, torch.full_like(x, -2.0))  # (0 - 0.5*255) / (0.25*255)
    torch.testing.assert_close(baseline_tensor(x, "white"), torch.full_like(x, 2.0))
    grey = baseline_tensor(x, "background", background="#808080")
    torch.testing.assert_close(grey, torch.full_like(x, (128 - 127.5) / 63.75))
    signed = input_attributions(net, x, "cls", CLS, torch.tensor([0, 0]), "ig", baseline="black", steps=3)
    torch.testing.assert_close(signed, ((x + 2.0) * net.w[0]).detach(), rtol=1e-5, atol=1e-5)


def test_regression_heads_are_explained_through_their_one_output(x):
    net = LinearNet()
    sal = attribute(net, x, "reg", REG, None, "saliency")
    np.testing.assert_allclose(sal, np.broadcast_to(net.v.abs().sum(0).detach().numpy(), (2, 2, 2)), rtol=1e-6)
    ig = input_attributions(net, x, "reg", REG, None, "ig", baseline=torch.zeros(1), steps=4)
    torch.testing.assert_close(ig, (x * net.v).detach(), rtol=1e-5, atol=1e-6)


def test_the_predicted_class_is_explained_when_no_target_is_given(x):
    net = LinearNet()
    predicted = net(x)["cls"].argmax(1)
    np.testing.assert_array_equal(attribute(net, x, "cls", CLS, None, "saliency"),
                                  attribute(net, x, "cls", CLS, predicted, "saliency"))


@pytest.mark.parametrize("task", ["cls", "reg"])
def test_integrated_gradients_are_complete_on_a_small_cnn(task):
    net = tiny_cnn(activation="tanh", pool="avg")
    x = torch.randn(3, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    base = baseline_tensor(x, "white")
    signed = input_attributions(net, x, task, TASKS[task], None, "ig", baseline="white", steps=64)
    with torch.no_grad():
        out, ref = net(x)[task], net(base)[task]
    if task == "cls":
        k = out.argmax(1, keepdim=True)
        out, ref = out.gather(1, k).squeeze(1), ref.gather(1, k).squeeze(1)
    torch.testing.assert_close(signed.sum((1, 2, 3)), out - ref, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("method", METHODS.names())
@pytest.mark.parametrize("task", ["cls", "reg"])
def test_every_method_gives_non_negative_maps_at_the_input_size(method, task, cnn):
    maps = attribute(cnn, torch.randn(2, 3, 16, 16), task, TASKS[task], None, method)
    assert maps.shape == (2, 16, 16) and maps.dtype == np.float32
    assert np.isfinite(maps).all() and (maps >= 0).all()
    assert maps.max() > 0 or method == "gradcam"  # Grad-CAM is ReLU'd: an untrained net may have no positive evidence


def test_attribution_leaves_the_model_as_it_was():
    net = tiny_cnn(dropout=0.5).train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    attribute(net, torch.randn(2, 3, 16, 16), "cls", CLS, None, "ig", steps=4)
    attribute(net, torch.randn(2, 3, 16, 16), "cls", CLS, None, "gradcam")
    assert net.training and all(p.requires_grad and p.grad is None for p in net.parameters())
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # BN stats untouched


def test_gradcam_uses_the_last_backbone_conv_or_a_named_layer(cnn):
    net = cnn
    assert find_layer(net) is net.backbone.stages[1][0]
    assert find_layer(net, "stages.0.0") is find_layer(net, "backbone.stages.0.0") is net.backbone.stages[0][0]
    maps = attribute(net, torch.randn(2, 3, 16, 16), "cls", CLS, None, "gradcam", layer="backbone.stages.0.0")
    assert maps.shape == (2, 16, 16) and (maps >= 0).all()
    with pytest.raises(ToonlabError, match=r"no layer 'stages\.9'.*backbone\.stages\.0\.0, backbone\.stages\.1\.0"):
        attribute(net, torch.randn(1, 3, 16, 16), "cls", CLS, None, "gradcam", layer="stages.9")


def test_gradcam_on_a_model_without_convs_says_which_methods_work():
    torch.manual_seed(0)
    mlp = create_model(ModelConfig(name="mlp", mlp_hidden=[8], head_width=8), TASKS, image_size=8).eval()
    with pytest.raises(ToonlabError, match="needs a conv layer.*saliency, ig or smoothgrad"):
        attribute(mlp, torch.randn(1, 3, 8, 8), "cls", CLS, None, "gradcam")


def test_smoothgrad_is_seeded_and_leaves_the_global_rng_alone(cnn):
    net, x = cnn, torch.randn(2, 3, 16, 16)
    torch.manual_seed(5)
    state = torch.get_rng_state()
    a = attribute(net, x, "cls", CLS, None, "smoothgrad", samples=4, seed=3)
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(a, attribute(net, x, "cls", CLS, None, "smoothgrad", samples=4, seed=3))
    assert not np.array_equal(a, attribute(net, x, "cls", CLS, None, "smoothgrad", samples=4, seed=4))


def test_blur_baseline_keeps_flat_images_flat():
    x = torch.full((1, 3, 16, 16), 0.7)
    torch.testing.assert_close(gaussian_blur(x, sigma=2.0), x)
    assert baseline_tensor(torch.randn(1, 3, 16, 16), "blur").shape == (1, 3, 16, 16)


@pytest.mark.parametrize("call, match", [
    (dict(method="lime"), "Unknown attribution method 'lime'"),
    (dict(method="ig", baseline="grey"), "baseline must be one of black, white, background, blur"),
    (dict(method="ig", steps=0), "steps >= 1"),
    (dict(method="saliency", steps=3), "does not take that option"),
])
def test_bad_methods_and_options_are_sentences(call, match):
    call = dict(call)
    with pytest.raises(ToonlabError, match=match):
        attribute(LinearNet(), torch.zeros(1, 3, 2, 2), "cls", CLS, None, call.pop("method"), **call)
