"""Training-time augmentation of whole normalised batches, each image on its own dice roll.

Every augmentation is a small registered function on a batch in 0..1 space; ``BatchAugment``
converts a normalised batch (``MEAN``/``STD`` of ``toonlab.data.batches``) to 0..1 once, runs the
enabled augmentations in ``PIPELINE`` order on the images each one picked, and converts back,
so outputs stay in the range a real batch has. All randomness comes from the caller's
``torch.Generator``: the same generator state gives the same batch.

Example:
    >>> from toonlab.config import AugmentConfig
    >>> augment = build_augment(AugmentConfig(hflip=0.5, p_affine=0.5, rotate=10))
    >>> x = torch.zeros(4, 3, 16, 16).contiguous(memory_format=torch.channels_last)
    >>> augment(x, torch.Generator().manual_seed(0)).shape
    torch.Size([4, 3, 16, 16])
"""

from __future__ import annotations

import logging
import math
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from toonlab.config import AugmentConfig
from toonlab.data.batches import MEAN, STD
from toonlab.errors import ToonlabError
from toonlab.registry import Registry

log = logging.getLogger(__name__)

AugmentFn = Callable[[Tensor, AugmentConfig, torch.Generator, Tensor], Tensor]
"""``fn(x, cfg, generator, background) -> x``: x is (n, 3, H, W) in 0..1, background a (3,) colour in 0..1."""

AUGMENTATIONS: Registry[AugmentFn] = Registry("augmentation")
PROBABILITY: dict[str, str] = {}  # augmentation -> the AugmentConfig field holding its per-image probability
WHITE = (255, 255, 255)

# What each augmentation's strengths are; with all of them 0 it changes nothing (worth a warning).
_STRENGTHS = {"affine": ("rotate", "shift", "scale", "stretch"), "sharpness": ("sharpness",),
              "jitter": ("brightness", "contrast", "saturation", "hue"), "noise": ("noise_level", "noise_fraction")}
_LUMA = (0.299, 0.587, 0.114)  # ITU-R 601-2, as PIL and torchvision


def _augmentation(name: str, probability: str) -> Callable[[AugmentFn], AugmentFn]:
    """Register ``fn`` under ``name``; registration order is the order ``BatchAugment`` applies them."""

    def add(fn: AugmentFn) -> AugmentFn:
        AUGMENTATIONS.register(name)(fn)
        PROBABILITY[name] = probability
        return fn

    return add


# --- the augmentations (0..1 space, every image in x is augmented) -------------------------------------

@_augmentation("hflip", "hflip")
def hflip(x: Tensor, cfg: AugmentConfig, generator: torch.Generator, background: Tensor) -> Tensor:
    return x.flip(-1)


@_augmentation("vflip", "vflip")
def vflip(x: Tensor, cfg: AugmentConfig, generator: torch.Generator, background: Tensor) -> Tensor:
    return x.flip(-2)


@_augmentation("affine", "p_affine")
def affine(x: Tensor, cfg: AugmentConfig, generator: torch.Generator, background: Tensor) -> Tensor:
    """Rotate, shift, zoom and stretch each image by its own random matrix; uncovered pixels get ``background``."""
    theta = _affine_matrices(x, cfg, generator)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    fill = background.view(1, 3, 1, 1)
    # Zero padding of (x - fill) is fill padding of x, and edges blend into the background smoothly.
    return F.grid_sample(x - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + fill


@_augmentation("jitter", "p_jitter")
def jitter(x: Tensor, cfg: AugmentConfig, generator: torch.Generator, background: Tensor) -> Tensor:
    """Brightness, contrast, saturation, then hue, each with per-image factors (torchvision's ColorJitter maths)."""
    if cfg.brightness:
        x = (x * _factor(x, cfg.brightness, generator)).clamp(0, 1)
    if cfg.contrast:
        x = _blend(x, _gray(x).mean((1, 2, 3), keepdim=True), _factor(x, cfg.contrast, generator))
    if cfg.saturation:
        x = _blend(x, _gray(x), _factor(x, cfg.saturation, generator))
    if cfg.hue:
        x = _shift_hue(x, _uniform(x, cfg.hue, generator))
    return x


@_augmentation("sharpness", "p_sharpness")
def sharpness(x: Tensor, cfg: AugmentConfig, generator: torch.Generator, background: Tensor) -> Tensor:
    """Blend with a 3×3-smoothed copy by a factor in 1±sharpness (PIL/torchvision ``adjust_sharpness``)."""
    if x.shape[-1] < 3 or x.shape[-2] < 3:
        return x
    kernel = torch.tensor([[1.0, 1.0, 1.0], [1.0, 5.0, 1.0], [1.0, 1.0, 1.0]], dtype=x.dtype, device=x.device) / 13
    x_cl = x.contiguous(memory_format=torch.channels_last)  # depthwise conv is ~6x faster so on CPU
    smooth = x_cl.clone()  # like PIL, the one-pixel border keeps its values
    smooth[..., 1:-1, 1:-1] = F.conv2d(x_cl, kernel.expand(3, 1, 3, 3), groups=3)
    return _blend(x, smooth, _factor(x, cfg.sharpness, generator))


@_augmentation("grayscale", "p_grayscale")
def grayscale(x: Tensor, cfg: AugmentConfig, generator: torch.Generator, background: Tensor) -> Tensor:
    return _gray(x).repeat(1, 3, 1, 1)


@_augmentation("invert", "p_invert")
def invert(x: Tensor, cfg: AugmentConfig, generator: torch.Generator, background: Tensor) -> Tensor:
    return 1.0 - x


@_augmentation("noise", "p_noise")
def noise(x: Tensor, cfg: AugmentConfig, generator: torch.Generator, background: Tensor) -> Tensor:
    """IgNet §5.1: each pixel, with probability ``noise_fraction``, moves by one uniform amount in ±noise_level."""
    n, _, h, w = x.shape
    picked = torch.rand(n, 1, h, w, generator=generator, device=x.device, dtype=x.dtype) < cfg.noise_fraction
    delta = (torch.rand(n, 1, h, w, generator=generator, device=x.device, dtype=x.dtype) * 2 - 1) * cfg.noise_level
    return (x + delta * picked).clamp(0, 1)


PIPELINE: tuple[str, ...] = tuple(PROBABILITY)  # registration order: geometry, then colour, then noise


# --- helpers of the augmentations ----------------------------------------------------------------------

def _uniform(x: Tensor, r: float, generator: torch.Generator) -> Tensor:
    """One value per image in [-r, r], shaped (n, 1, 1, 1)."""
    u = torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=x.device, dtype=x.dtype)
    return (u * 2 - 1) * r


def _factor(x: Tensor, strength: float, generator: torch.Generator) -> Tensor:
    """One factor per image in [max(0, 1 - strength), 1 + strength]."""
    lo, hi = max(0.0, 1 - strength), 1 + strength
    return lo + (hi - lo) * torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=x.device, dtype=x.dtype)


def _blend(x: Tensor, other: Tensor, factor: Tensor) -> Tensor:
    return (factor * x + (1 - factor) * other).clamp(0, 1)


def _gray(x: Tensor) -> Tensor:
    r, g, b = x.unbind(1)
    return (_LUMA[0] * r + _LUMA[1] * g + _LUMA[2] * b).unsqueeze(1)


def _shift_hue(x: Tensor, shift: Tensor) -> Tensor:
    """Rotate the HSV hue of each image by its ``shift`` (fraction of the wheel); saturation and value stay."""
    r, g, b = x.unbind(1)
    value, low = x.amax(1), x.amin(1)
    chroma = value - low
    hue6 = torch.where(r == value, g - b, torch.where(g == value, b - r + 2 * chroma, r - g + 4 * chroma))
    hue6 = hue6 / chroma.clamp_min(1e-12) + 6 * shift.view(-1, 1, 1)  # hue in sixths of the wheel
    # HSV -> RGB without branches: channel with offset k is v - chroma·clamp(min(k, 4 - k), 0, 1).
    k = torch.remainder(torch.tensor([5.0, 3.0, 1.0], dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
                        + hue6.unsqueeze(1), 6)
    return value.unsqueeze(1) - chroma.unsqueeze(1) * torch.minimum(k, 4 - k).clamp(0, 1)


def _affine_matrices(x: Tensor, cfg: AugmentConfig, generator: torch.Generator) -> Tensor:
    """(n, 2, 3) output->input maps for ``affine_grid``: inverse of stretch·zoom, then rotation, then shift."""
    n, _, h, w = x.shape
    u = torch.rand(6, n, generator=generator, device=x.device, dtype=x.dtype) * 2 - 1
    angle = u[0] * math.radians(cfg.rotate)
    zoom = 1 + u[1] * cfg.scale
    zx, zy = zoom * (1 + u[2] * cfg.stretch), zoom * (1 + u[3] * cfg.stretch)
    shift = u[4:].T * (2 * cfg.shift)  # normalised coordinates span 2 per side
    cos, sin = angle.cos(), angle.sin()
    # Rotation in pixel units (aspect-corrected), expressed in affine_grid's normalised coordinates.
    a = torch.stack([torch.stack([cos / zx, sin * (h / w) / zx], -1),
                     torch.stack([-sin * (w / h) / zy, cos / zy], -1)], 1)
    return torch.cat([a, -(a @ shift.unsqueeze(-1))], -1)


# --- the batch augmenter -------------------------------------------------------------------------------

class BatchAugment:
    """Augment normalised (B, 3, H, W) batches; each image gets each augmentation with its probability.

    Args:
        cfg: probabilities and strengths, as :func:`toonlab.config.validate` bounds them.
        background: RGB 0..255 colour that the affine transform uncovers (the data's background).
        names: only these augmentations (default: all registered), always in ``PIPELINE`` order.

    Example:
        >>> augment = BatchAugment(AugmentConfig(p_invert=1.0))
        >>> x = torch.full((2, 3, 4, 4), 2.0)  # white, normalised
        >>> augment(x, torch.Generator()).unique().tolist()  # black
        [-2.0]
    """

    def __init__(
        self, cfg: AugmentConfig, *, background: Sequence[int] = WHITE, names: Sequence[str] | None = None
    ) -> None:
        _warn_idle(cfg)
        for name in names or ():
            AUGMENTATIONS.get(name)  # unknown names raise, listing the valid ones
        self.cfg = cfg
        self.background = _check_background(background)
        wanted = PIPELINE if names is None else [n for n in PIPELINE if n in names]
        self.steps = [(n, float(getattr(cfg, PROBABILITY[n]))) for n in wanted if getattr(cfg, PROBABILITY[n]) > 0]

    @property
    def enabled(self) -> bool:
        """False when every probability is 0: the batch would come back unchanged, so skip the call."""
        return bool(self.steps)

    def __call__(self, x: Tensor, generator: torch.Generator) -> Tensor:
        """Augment the normalised batch ``x`` (never in place); same shape, dtype, device and memory format.

        ``generator`` must live on ``x.device``; it is the only source of randomness.
        """
        _check_batch(x, generator)
        if not self.steps:
            return x
        fmt = torch.channels_last if _is_channels_last(x) else torch.contiguous_format
        background = torch.tensor(self.background, dtype=x.dtype, device=x.device) / 255
        y = to_unit(x.contiguous())  # NCHW: grid_sample and the per-plane colour maths are faster so on CPU
        for name, p in self.steps:
            y = _apply(AUGMENTATIONS.get(name), y, p, self.cfg, generator, background)
        return from_unit(y).contiguous(memory_format=fmt)

    def __repr__(self) -> str:
        return f"BatchAugment({', '.join(f'{n}={p:g}' for n, p in self.steps) or 'disabled'})"


def build_augment(cfg: AugmentConfig, *, background: Sequence[int] = WHITE) -> BatchAugment:
    """The training-time augmenter for ``cfg`` (see ``BatchAugment``)."""
    return BatchAugment(cfg, background=background)


def augment_generator(seed: int, epoch: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A generator seeded by ``(seed, epoch)``: a run resumed at an epoch boundary augments identically."""
    state = int(np.random.SeedSequence([seed, epoch, 0xA06]).generate_state(1, np.uint64)[0] >> 1)
    return torch.Generator(device=device).manual_seed(state)


def to_unit(x: Tensor) -> Tensor:
    """Normalised batch -> 0..1 RGB (a new tensor)."""
    mean, std = _stats(x)
    return x * std + mean


def from_unit(x: Tensor) -> Tensor:
    """0..1 RGB -> normalised batch (a new tensor)."""
    mean, std = _stats(x)
    return (x - mean) / std


def _warn_idle(cfg: AugmentConfig) -> None:
    """Log when an augmentation is switched on but its strengths make it an identity (likely a forgotten knob)."""
    for aug, strengths in _STRENGTHS.items():
        values = [getattr(cfg, s) for s in strengths]
        idle = not all(values) if aug == "noise" else not any(values)
        if getattr(cfg, PROBABILITY[aug]) > 0 and idle:
            log.warning("augment.%s > 0 but %s leave images unchanged; set %s to use %s.", PROBABILITY[aug],
                        " / ".join(strengths), "both" if aug == "noise" else "at least one", aug)


def _apply(fn: AugmentFn, y: Tensor, p: float, cfg: AugmentConfig, g: torch.Generator, background: Tensor) -> Tensor:
    """Run ``fn`` on the images that draw below ``p``; the rest pass through untouched."""
    if p >= 1:
        return fn(y, cfg, g, background)
    idx = (torch.rand(y.shape[0], generator=g, device=y.device) < p).nonzero().squeeze(1)
    if idx.numel():
        y[idx] = fn(y[idx], cfg, g, background)  # y is our own copy from to_unit
    return y


def _check_background(background: Sequence[int]) -> tuple[int, int, int]:
    rgb = tuple(background)
    if len(rgb) != 3 or not all(isinstance(c, (int, np.integer)) and 0 <= c <= 255 for c in rgb):
        raise ToonlabError(f"background must be an RGB colour of three integers 0..255, e.g. (255, 255, 255). "
                           f"Received: background={background!r}")
    return tuple(int(c) for c in rgb)  # type: ignore[return-value]


def _check_batch(x: Tensor, generator: torch.Generator) -> None:
    if x.dim() != 4 or x.shape[1] != 3 or not x.is_floating_point():
        raise ToonlabError(f"Augmentation expects a float batch shaped (B, 3, H, W). "
                           f"Received: dtype={x.dtype}, shape={tuple(x.shape)}")
    if generator.device.type != x.device.type:
        raise ToonlabError(f"The augmentation generator must live on the batch's device ({x.device}). "
                           f"Received: generator on {generator.device}")


def _is_channels_last(x: Tensor) -> bool:
    return x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()


def _stats(x: Tensor) -> tuple[Tensor, Tensor]:
    mean = torch.tensor(MEAN, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return mean, std

