import dataclasses

import pytest
import torch

from toonlab.config import AugmentConfig
from toonlab.data.augment import (
    AUGMENTATIONS, PIPELINE, PROBABILITY, BatchAugment, augment_generator, build_augment, from_unit, to_unit,
)
from toonlab.errors import ToonlabError

# Every strength on and noticeable; tests switch on one augmentation at a time through its probability.
STRONG = dict(rotate=30.0, shift=0.1, scale=0.2, stretch=0.2, brightness=0.5, contrast=0.5, saturation=0.5, hue=0.3,
              sharpness=0.9, noise_level=0.3, noise_fraction=0.2)
LOW, HIGH = (0 - 0.5) / 0.25, (1 - 0.5) / 0.25  # the normalised range of a real batch


def batch(b=6, h=8, w=10, seed=0, channels_last=True):
    """A normalised batch from random 0..1 pixels, as Batches would make it."""
    x = from_unit(torch.rand(b, 3, h, w, generator=torch.Generator().manual_seed(seed)))
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x.contiguous()


def only(name, p=1.0, **strengths):
    cfg = AugmentConfig(**{**STRONG, **strengths, PROBABILITY[name]: p})
    return BatchAugment(cfg, names=[name])


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_pipeline_covers_every_registered_augmentation():
    assert sorted(PIPELINE) == AUGMENTATIONS.names() and set(PROBABILITY) == set(PIPELINE)
    fields = {f.name for f in dataclasses.fields(AugmentConfig)}
    assert set(PROBABILITY.values()) <= fields


@pytest.mark.parametrize("name", AUGMENTATIONS.names())
@pytest.mark.parametrize("channels_last", [True, False])
def test_keeps_shape_dtype_format_and_range(name, channels_last):
    x = batch(channels_last=channels_last)
    with torch.no_grad():
        y = only(name)(x, gen())
    assert y.shape == x.shape and y.dtype == x.dtype
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    assert y.is_contiguous(memory_format=fmt)
    assert y.min() >= LOW - 1e-5 and y.max() <= HIGH + 1e-5
    assert not torch.allclose(y, x, atol=1e-3)  # it did something


@pytest.mark.parametrize("name", AUGMENTATIONS.names())
def test_probability_zero_is_identity(name):
    x = batch()
    augment = only(name, p=0.0)
    assert not augment.enabled and torch.equal(augment(x, gen()), x)


@pytest.mark.parametrize("name", AUGMENTATIONS.names())
def test_same_seed_same_result(name):
    x = batch(b=12)
    a, b = only(name, p=0.5)(x, gen(3)), only(name, p=0.5)(x, gen(3))
    assert torch.equal(a, b)
    assert not torch.equal(a, only(name, p=0.5)(x, gen(4)))


@pytest.mark.parametrize("name", AUGMENTATIONS.names())
def test_images_are_chosen_independently(name):
    x = batch(b=16)
    y = only(name, p=0.5)(x, gen(1))
    changed = (y - x).flatten(1).abs().amax(1) > 1e-4
    assert 0 < int(changed.sum()) < 16
    x_in = x.clone()
    only(name, p=0.5)(x, gen(1))
    assert torch.equal(x, x_in)  # the input is never modified


def test_hflip_and_vflip_at_p1():
    x = batch()
    assert torch.allclose(only("hflip")(x, gen()), x.flip(-1), atol=1e-6)
    assert torch.allclose(only("vflip")(x, gen()), x.flip(-2), atol=1e-6)


def test_invert_twice_is_identity_and_maps_white_to_black():
    x = batch()
    invert = only("invert")
    assert torch.allclose(invert(invert(x, gen()), gen()), x, atol=1e-6)
    assert torch.allclose(invert(torch.full_like(x, HIGH), gen()), torch.full_like(x, LOW))


def test_grayscale_makes_channels_equal():
    y = to_unit(only("grayscale")(batch(), gen()))
    assert torch.allclose(y[:, 0], y[:, 1], atol=1e-6) and torch.allclose(y[:, 1], y[:, 2], atol=1e-6)


def test_affine_with_zero_ranges_is_identity():
    x = batch()
    y = only("affine", rotate=0.0, shift=0.0, scale=0.0, stretch=0.0)(x, gen())
    assert torch.allclose(y, x, atol=1e-5)


def test_affine_fills_with_the_background():
    x = torch.full((2, 3, 16, 16), LOW)  # black images
    shifted = only("affine", rotate=0.0, scale=0.0, stretch=0.0, shift=0.5)
    assert torch.isclose(shifted(x, gen()), torch.tensor(HIGH)).any()  # white came in
    red = BatchAugment(AugmentConfig(p_affine=1.0, shift=0.5), background=(255, 0, 0))(x, gen())
    corner = to_unit(red)[..., 0, 0]
    assert any(torch.allclose(c, torch.tensor([1.0, 0.0, 0.0]), atol=1e-5) for c in corner)


def test_noise_changes_about_the_fraction_by_at_most_the_level():
    x = from_unit(torch.full((4, 3, 64, 64), 0.5))
    y = to_unit(only("noise", noise_level=0.2, noise_fraction=0.25)(x, gen()))
    change = (y - 0.5).abs()
    changed = change.amax(1) > 0
    assert abs(changed.float().mean().item() - 0.25) < 0.03
    assert change.max() <= 0.2 + 1e-6


def test_jitter_with_zero_strengths_and_white_under_hue():
    x = batch()
    assert torch.allclose(BatchAugment(AugmentConfig(p_jitter=1.0))(x, gen()), x)
    white = torch.full_like(x, HIGH)
    assert torch.allclose(only("jitter", brightness=0.0, contrast=0.0, saturation=0.0)(white, gen()), white, atol=1e-5)


def test_build_augment_all_on():
    cfg = AugmentConfig(**STRONG, hflip=0.5, vflip=0.5, p_affine=0.5, p_jitter=0.5, p_sharpness=0.5, p_invert=0.5,
                        p_grayscale=0.5, p_noise=0.5)
    augment = build_augment(cfg)
    assert augment.enabled and [n for n, _ in augment.steps] == list(PIPELINE)
    x = batch(b=8)
    with torch.no_grad():
        y = augment(x, augment_generator(0, 1))
    assert y.is_contiguous(memory_format=torch.channels_last) and y.min() >= LOW - 1e-5 and y.max() <= HIGH + 1e-5
    assert torch.equal(y, augment(x, augment_generator(0, 1)))
    assert not torch.equal(y, augment(x, augment_generator(0, 2)))


def test_disabled_by_default():
    assert not build_augment(AugmentConfig()).enabled


# Bad probabilities and strengths are refused with the config: tests/test_config.py (BAD_VALUES["augment.*"]).


def test_bad_batch_or_name_raises():
    with pytest.raises(ToonlabError, match="Received: dtype=torch.uint8"):
        build_augment(AugmentConfig(hflip=1.0))(torch.zeros(1, 3, 4, 4, dtype=torch.uint8), gen())
    with pytest.raises(KeyError, match="hflip"):
        BatchAugment(AugmentConfig(), names=["hflp"])


def test_idle_augmentation_warns(caplog):
    build_augment(AugmentConfig(p_noise=0.5, noise_level=0.1))
    assert "noise_fraction" in caplog.text


def test_hue_and_sharpness_match_torchvision(monkeypatch):
    import toonlab.data.augment as augment
    import torchvision.transforms.v2.functional as TF

    x = torch.rand(3, 3, 9, 11, generator=gen())
    shift = torch.tensor([0.1, -0.3, 0.5])
    expected = torch.stack([TF.adjust_hue(x[i], float(shift[i])) for i in range(3)])
    assert torch.allclose(augment._shift_hue(x, shift.view(3, 1, 1, 1)), expected, atol=1e-5)
    factor = torch.tensor([0.0, 0.5, 2.0])
    monkeypatch.setattr(augment, "_factor", lambda x, strength, g: factor.view(3, 1, 1, 1))
    expected = torch.stack([TF.adjust_sharpness(x[i], float(factor[i])) for i in range(3)])
    assert torch.allclose(augment.sharpness(x, AugmentConfig(sharpness=1.0), gen(), torch.ones(3)), expected, atol=1e-6)


def test_bad_background_raises():
    with pytest.raises(ToonlabError, match=r"Received: background=\(255, 255\)"):
        build_augment(AugmentConfig(), background=(255, 255))
