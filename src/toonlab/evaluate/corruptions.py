"""Fixed-severity image corruptions for the robustness table (seed 002, Table 7), registered by name.

Every transform maps a uint8 batch ``(B, 3, H, W)``, a severity and a ``torch.Generator`` to a uint8
batch of the same shape; the same generator state gives the same output. ``plan_transforms`` turns a
user's choice into the ``(name, severity)`` pairs that :func:`toonlab.evaluate.robustness.robustness` runs.

Example:
    >>> x = torch.zeros(2, 3, 8, 8, dtype=torch.uint8)
    >>> TRANSFORMS.get("invert").fn(x, 1.0, torch.Generator()).unique().tolist()
    [255]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF
from torch import Tensor

from toonlab.config import AugmentConfig
from toonlab.data import augment
from toonlab.errors import ToonlabError
from toonlab.registry import Registry

TransformFn = Callable[[Tensor, float, torch.Generator], Tensor]
"""``fn(images, severity, generator) -> images``: uint8 (B, 3, H, W) in and out."""

PIXEL_NOISE_LEVEL = 0.5  # IgNet-style pixel noise: a picked pixel moves by up to half the full range


@dataclass(frozen=True)
class Transform:
    """A registered robustness transform.

    Attributes:
        fn: ``(uint8 images (B, 3, H, W), severity, generator) -> uint8 images`` of the same shape.
        severities: the default severities, mildest first.
        meaning: what a severity means, in one sentence (copied into the result).
    """

    fn: TransformFn
    severities: tuple[float, ...]
    meaning: str


TRANSFORMS: Registry[Transform] = Registry("robustness transform")
DEFAULT_TRANSFORMS: tuple[str, ...] = (
    "jitter", "rotate", "hflip", "vflip", "invert", "sharpness", "gaussian_noise", "pixel_noise", "grayscale")


def _transform(
    name: str, severities: Sequence[float], meaning: str, *, unit: bool = True
) -> Callable[[TransformFn], TransformFn]:
    """Register ``fn`` under ``name``; with ``unit`` it works on 0..1 floats and is wrapped to uint8 in/out."""

    def add(fn: TransformFn) -> TransformFn:
        wrapped = _on_unit(fn) if unit else fn
        TRANSFORMS.register(name)(Transform(wrapped, tuple(float(s) for s in severities), meaning))
        return fn

    return add


def _on_unit(fn: TransformFn) -> TransformFn:
    def wrapped(x: Tensor, s: float, g: torch.Generator) -> Tensor:
        y = fn(x.float() / 255, s, g)
        return (y * 255).round_().clamp_(0, 255).to(torch.uint8)

    wrapped.__doc__, wrapped.__name__ = fn.__doc__, fn.__name__
    return wrapped


def _signs(x: Tensor, g: torch.Generator) -> Tensor:
    """±1 per image, shaped (B, 1, 1, 1)."""
    bits = torch.randint(0, 2, (x.shape[0], 1, 1, 1), generator=g, device=x.device)
    return bits.to(x.dtype) * 2 - 1


def _factors(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return (1 + _signs(x, g) * s).clamp_min(0)


def _blend(x: Tensor, other: Tensor, factor: Tensor) -> Tensor:
    return (factor * x + (1 - factor) * other).clamp(0, 1)


# --- the transforms -----------------------------------------------------------------------------------

@_transform("jitter", (0.2, 0.4, 0.8), "brightness, contrast and saturation factors 1±s and a hue shift of "
            "±s/4 of the colour wheel, each sign random per image (torchvision ColorJitter order)")
def _jitter(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    for fn, amount in ((_brightness, s), (_contrast, s), (_saturation, s), (_hue, s / 4)):
        x = fn(x, amount, g)
    return x


@_transform("brightness", (0.2, 0.4, 0.8), "pixel values times 1±s, sign random per image")
def _brightness(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return (x * _factors(x, s, g)).clamp(0, 1)


@_transform("contrast", (0.2, 0.4, 0.8), "blend with the image's mean grey by factor 1±s, sign random per image")
def _contrast(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return _blend(x, TF.rgb_to_grayscale(x).mean((1, 2, 3), keepdim=True), _factors(x, s, g))


@_transform("saturation", (0.2, 0.4, 0.8), "blend with the grey image by factor 1±s, sign random per image")
def _saturation(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return _blend(x, TF.rgb_to_grayscale(x), _factors(x, s, g))


@_transform("hue", (0.05, 0.1, 0.2), "hue shifted by ±s of the colour wheel, sign random per image")
def _hue(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    signs = _signs(x, g).view(-1)
    out = x.clone()
    for sign in (1.0, -1.0):
        picked = signs == sign
        if picked.any():
            out[picked] = TF.adjust_hue(x[picked], sign * min(s, 0.5))
    return out


@_transform("rotate", (10, 20, 40), "rotation by s degrees, direction random per image; the uncovered "
            "corners take the image's background (median of its four corner pixels)")
def _rotate(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    n, _, h, w = x.shape
    angle = _signs(x, g).view(-1) * math.radians(s)
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack([torch.stack([cos, sin * (h / w), torch.zeros_like(cos)], -1),
                         torch.stack([-sin * (w / h), cos, torch.zeros_like(cos)], -1)], 1)
    fill = x[:, :, [0, 0, -1, -1], [0, -1, 0, -1]].median(-1).values.view(n, 3, 1, 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # Zero padding of (x - fill) is fill padding of x (as augment.affine does).
    return F.grid_sample(x - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + fill


@_transform("sharpness", (0.0, 2.0, 4.0), "torchvision adjust_sharpness factor: 0 = smoothed (blurred), "
            "1 = unchanged, 2 and 4 = sharpened")
def _sharpness(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return TF.adjust_sharpness(x, s)


@_transform("gaussian_noise", (0.05, 0.1, 0.2), "independent Gaussian noise per pixel and channel with "
            "standard deviation s of the full range")
def _gaussian_noise(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return (x + s * torch.randn(x.shape, generator=g, device=x.device, dtype=x.dtype)).clamp(0, 1)


@_transform("pixel_noise", (0.05, 0.1, 0.2), f"Pixel noise: a fraction s of the pixels each moves by one "
            f"uniform amount within ±{PIXEL_NOISE_LEVEL} of the full range (all channels together)")
def _pixel_noise(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    cfg = AugmentConfig(noise_fraction=s, noise_level=PIXEL_NOISE_LEVEL)
    return augment.noise(x, cfg, g, torch.ones(3, device=x.device))


@_transform("hflip", (1,), "mirror left-right (severity unused)", unit=False)
def _hflip(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return TF.hflip(x)


@_transform("vflip", (1,), "upside down (severity unused)", unit=False)
def _vflip(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return TF.vflip(x)


@_transform("invert", (1,), "colours inverted, 255 - value (severity unused)", unit=False)
def _invert(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return TF.invert(x)


@_transform("grayscale", (1,), "ITU-R 601 luma copied to all three channels (severity unused)", unit=False)
def _grayscale(x: Tensor, s: float, g: torch.Generator) -> Tensor:
    return TF.rgb_to_grayscale(x, num_output_channels=3).contiguous()


def list_transforms() -> list[str]:
    """Names of every registered robustness transform."""
    return TRANSFORMS.names()


def plan_transforms(transforms: Sequence[str] | Mapping[str, Sequence[float]] | None = None) -> list[tuple[str, float]]:
    """The ``(name, severity)`` pairs to evaluate, in order.

    Args:
        transforms: None for ``DEFAULT_TRANSFORMS`` at their default severities, a list of names (default
            severities), or ``{name: severities}``.

    Raises:
        ToonlabError: an unknown name or a severity that is not a finite number.

    Example:
        >>> plan_transforms({"rotate": [5]})
        [('rotate', 5.0)]
    """
    if transforms is None:
        transforms = DEFAULT_TRANSFORMS
    if isinstance(transforms, str):
        transforms = [transforms]
    named = transforms if isinstance(transforms, Mapping) else {n: None for n in transforms}
    plan = []
    for name, severities in named.items():
        try:
            spec = TRANSFORMS.get(name)
        except KeyError as e:
            raise ToonlabError(str(e).strip('"')) from None
        for s in spec.severities if severities is None else severities:
            if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s):
                raise ToonlabError(f"Severities of {name!r} must be finite numbers. Received: {s!r}")
            plan.append((name, float(s)))
    return plan
