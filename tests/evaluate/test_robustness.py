import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from toonlab.config import ModelConfig
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.evaluate.robustness import (DEFAULT_TRANSFORMS, TRANSFORMS, format_robustness, list_transforms,
                                         plan_transforms, robustness, write_robustness)
from toonlab.models import create_model
from toonlab.runtime import resolve_runtime

TASKS = {"color": TaskSpec("color", classes=("r", "g", "b")), "size": TaskSpec("size", "regression")}
RUNTIME = resolve_runtime(device="cpu", precision="fp32", channels_last="off")
CASES = [(name, s) for name in list_transforms() for s in TRANSFORMS.get(name).severities]


def _batch(n=4, size=16, seed=0):
    """A random uint8 batch laid out as robustness makes it: NHWC memory viewed as (B, 3, H, W)."""
    rng = np.random.default_rng(seed)
    return torch.from_numpy(rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)).permute(0, 3, 1, 2)


def _apply(name, x, severity=None, seed=0):
    spec = TRANSFORMS.get(name)
    return spec.fn(x, spec.severities[-1] if severity is None else severity, torch.Generator().manual_seed(seed))


def _disc(size=32):
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    img = np.where((xx**2 + yy**2 <= (size / 3) ** 2)[..., None], [200, 40, 40], 255).astype(np.uint8)
    return torch.from_numpy(img[None]).permute(0, 3, 1, 2)


def _data(n=12, size=16, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    labels = np.stack([rng.integers(0, 3, n).astype(np.float32), rng.normal(5, 1, n).astype(np.float32)], 1)
    labels[0, 0] = labels[1, 1] = np.nan  # unlabelled cells are skipped
    return images, labels


class _Constant(nn.Module):
    """Ignores its input: class 1 for 'color', 5.0 for 'size'."""

    def forward(self, x):
        n = x.shape[0]
        return {"color": torch.tensor([0.0, 1.0, 0.0]).expand(n, 3), "size": torch.full((n,), 5.0)}


@pytest.mark.parametrize("name,severity", CASES)
def test_transform_keeps_shape_and_dtype_and_is_seeded(name, severity):
    x = _batch()
    a, b = _apply(name, x, severity, seed=3), _apply(name, x, severity, seed=3)
    assert a.shape == x.shape and a.dtype == torch.uint8
    assert torch.equal(a, b)


def test_random_transforms_depend_on_the_generator():
    x = _batch(n=16)
    for name in ("jitter", "rotate", "gaussian_noise", "pixel_noise"):
        assert not torch.equal(_apply(name, x, seed=0), _apply(name, x, seed=1)), name


def test_flips_twice_are_identity_and_invert_and_grayscale():
    x = _batch()
    for name in ("hflip", "vflip", "invert"):
        assert torch.equal(_apply(name, _apply(name, x)), x), name
    assert torch.equal(_apply("hflip", x), x.flip(-1))
    assert _apply("invert", torch.zeros(1, 3, 4, 4, dtype=torch.uint8)).unique().tolist() == [255]
    gray = _apply("grayscale", x)
    assert torch.equal(gray[:, 0], gray[:, 1]) and torch.equal(gray[:, 1], gray[:, 2])


def test_rotation_of_a_centred_disc_changes_little_but_vflip_of_a_half_changes_a_lot():
    disc = _disc()
    assert (_apply("rotate", disc, 40).float() - disc.float()).abs().mean() < 6
    half = disc.clone()
    half[..., :16, :] = 0
    assert (_apply("vflip", half).float() - half.float()).abs().mean() > 50


def test_rotation_fills_corners_with_the_background():
    square = torch.full((1, 3, 32, 32), 255, dtype=torch.uint8)
    square[..., 8:24, 8:24] = 0
    out = _apply("rotate", square, 40)
    assert out[..., 0, 0].tolist() == [[255, 255, 255]]


def test_severity_scales_the_change():
    x = _batch(n=8)
    for name in ("jitter", "brightness", "contrast", "saturation", "hue", "rotate", "gaussian_noise", "pixel_noise"):
        low, high = TRANSFORMS.get(name).severities[0], TRANSFORMS.get(name).severities[-1]
        d_low = (_apply(name, x, low).float() - x.float()).abs().mean()
        d_high = (_apply(name, x, high).float() - x.float()).abs().mean()
        assert 0 < d_low < d_high, name


def test_identity_severities_and_sharpness_of_a_flat_image():
    x = _batch()
    for name in ("brightness", "contrast", "saturation", "hue", "rotate", "gaussian_noise", "pixel_noise"):
        assert (_apply(name, x, 0.0).int() - x.int()).abs().max() <= 1, name
    assert torch.equal(_apply("sharpness", x, 1.0), x)
    flat = torch.full((2, 3, 8, 8), 77, dtype=torch.uint8)
    assert torch.equal(_apply("sharpness", flat, 0.0), flat)


def test_pixel_noise_changes_about_the_fraction_of_pixels():
    x = torch.full((4, 3, 32, 32), 128, dtype=torch.uint8)
    changed = (_apply("pixel_noise", x, 0.2) != x).any(1).float().mean().item()
    assert 0.15 < changed < 0.25


def test_plan_transforms_defaults_names_mapping_and_errors():
    plan = plan_transforms()
    assert list(dict.fromkeys(n for n, _ in plan)) == list(DEFAULT_TRANSFORMS)
    expected = [("hflip", 1.0), ("rotate", 10.0), ("rotate", 20.0), ("rotate", 40.0)]
    assert plan_transforms(["hflip", "rotate"]) == expected
    assert plan_transforms({"rotate": [5]}) == [("rotate", 5.0)]
    with pytest.raises(ToonlabError, match="Did you mean 'rotate'"):
        plan_transforms(["rotat"])
    with pytest.raises(ToonlabError, match="finite"):
        plan_transforms({"rotate": [float("nan")]})


def test_robustness_covers_clean_and_every_transform_and_is_reproducible():
    torch.manual_seed(0)
    model = create_model(ModelConfig(widths=[8, 16]), TASKS, image_size=16)
    images, labels = _data()
    rows = np.arange(1, 12)
    run = lambda seed: robustness(model, images, labels, rows, TASKS, RUNTIME, batch_size=5, seed=seed)  # noqa: E731
    result = run(0)
    assert result["n_images"] == 11
    assert result["clean"]["tasks"]["color"]["n"] == 11 and result["clean"]["tasks"]["size"]["n"] == 10
    assert set(result["clean"]["tasks"]["size"]) == {"kind", "mae", "n"}
    assert [(e["transform"], e["severity"]) for e in result["transforms"]] == plan_transforms()
    assert set(result["meanings"]) == set(DEFAULT_TRANSFORMS)
    assert json.loads(json.dumps(result, allow_nan=False)) == result
    assert run(0) == result


def test_a_model_that_ignores_its_input_scores_the_same_on_every_transform():
    images, labels = _data()
    result = robustness(_Constant(), images, labels, np.arange(12), TASKS, RUNTIME, batch_size=4)
    clean = result["clean"]
    assert clean["tasks"]["color"]["accuracy"] == pytest.approx(np.mean(labels[1:, 0] == 1))
    assert clean["tasks"]["size"]["mae"] == pytest.approx(np.nanmean(np.abs(labels[:, 1] - 5.0)))
    for e in result["transforms"]:
        assert e["tasks"] == clean["tasks"] and e["change_pp"] == 0.0


def test_legacy_integer_labels_use_minus_one_as_unlabelled():
    tasks = {"color": TASKS["color"]}
    images = np.zeros((4, 8, 8, 3), np.uint8)
    labels = np.array([[1], [1], [0], [-1]], np.int64)
    result = robustness(_Constant(), images, labels, np.arange(4), tasks, RUNTIME, transforms=["hflip"])
    assert result["clean"]["tasks"]["color"] == {"kind": "classification", "accuracy": 2 / 3, "n": 3}


def test_bad_inputs_are_explained():
    images, labels = _data()
    with pytest.raises(ToonlabError, match="one column per task"):
        robustness(_Constant(), images, labels[:, :1], np.arange(3), TASKS, RUNTIME)
    with pytest.raises(ToonlabError, match="no output for task"):
        tasks = {**TASKS, "hair": TaskSpec("hair", classes=("a", "b"))}
        robustness(_Constant(), images, np.c_[labels, labels[:, :1]], np.arange(3), tasks, RUNTIME)
    with pytest.raises(ToonlabError, match="uint8"):
        robustness(_Constant(), images.astype(np.float32), labels, np.arange(3), TASKS, RUNTIME)


def test_format_lists_every_transform_and_notes_extra_tasks(tmp_path):
    images, labels = _data()
    result = robustness(_Constant(), images, labels, np.arange(12), TASKS, RUNTIME, batch_size=6)
    table = format_robustness(result)
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["transform", "severity", "mean", "acc"] and lines[2].startswith("clean")
    assert "size (MAE)" in lines[0] and len(lines) == 3 + len(plan_transforms())
    for name in DEFAULT_TRANSFORMS:
        assert name in table
    many = {f"t{i}": {"kind": "classification", "accuracy": 0.5, "n": 1} for i in range(8)}
    wide = {"clean": {"mean_accuracy": 0.5, "tasks": many}, "transforms": []}
    assert format_robustness(wide).splitlines()[-1].startswith("(2 more tasks in the JSON")
    path = write_robustness(tmp_path / "out" / "robustness.json", result)
    assert json.loads(path.read_text()) == result


def test_empty_rows_give_no_metrics_not_nan():
    images, labels = _data()
    result = robustness(_Constant(), images, labels, np.arange(0), TASKS, RUNTIME, transforms=["vflip"])
    assert result["clean"]["mean_accuracy"] is None and result["transforms"][0]["change_pp"] is None
    assert "n/a" in format_robustness(result)
    assert not any(isinstance(v, float) and math.isnan(v) for v in result["clean"]["tasks"]["size"].values())
