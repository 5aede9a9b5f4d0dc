"""Attribution maps from Captum: saliency, integrated gradients, SmoothGrad and Grad-CAM, one per task.

Every method has the same signature, ``method(model, x, task, spec, target, **options)``, and returns
``(B, H, W)`` float32 maps at the input size: pixel methods sum the absolute attribution over colour
channels; Grad-CAM is ReLU'd and upsampled bilinearly. ``x`` is a normalised batch (what training
feeds the network); ``target`` holds class indices for a classification task and is ignored for a
regression task (its one output is explained). Attributions run in fp32 with the model in eval mode
and no parameter gradients kept.

Example:
    >>> maps = attribute(model, x, "hair_color", spec, target, "ig", steps=32)  # doctest: +SKIP
    >>> maps.shape  # doctest: +SKIP
    (8, 128, 128)
"""

from __future__ import annotations

import contextlib
import math
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from toonlab.data.batches import MEAN, STD
from toonlab.data.cache import parse_background
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.registry import Registry

METHODS: Registry = Registry("attribution method")
DEFAULT_METHODS = ("saliency", "ig", "gradcam", "smoothgrad")
BASELINES = ("black", "white", "background", "blur")


def attribute(model: nn.Module, x: torch.Tensor, task: str, spec: TaskSpec, target: torch.Tensor | None,
              method: str, **options) -> np.ndarray:
    """``(B, H, W)`` float32 maps of ``method`` for ``task`` on the normalised batch ``x``.

    Args:
        model: a network whose ``forward(x)`` returns ``{task: logits (B, K) | values (B,)}``.
        x: (B, 3, H, W) normalised images.
        task, spec: the task explained and its spec.
        target: (B,) class indices to explain (classification); None = the predicted class.
        method: a registered name: saliency, ig, smoothgrad or gradcam.
        options: the method's keyword options (ig: baseline, steps; smoothgrad: samples, stdev, seed;
            gradcam: layer).

    Raises:
        ToonlabError: an unknown method or option, or a Grad-CAM layer the model lacks.
    """
    try:
        fn = METHODS.get(method)
    except KeyError as e:
        raise ToonlabError(str(e).strip('"')) from None
    try:
        return fn(model, x, task, spec, target, **options)
    except TypeError as e:
        if "unexpected keyword" not in str(e):
            raise
        raise ToonlabError(f"Attribution method {method!r} does not take that option ({e}). "
                           f"Received: {sorted(options)}") from None


@contextlib.contextmanager
def attribution_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode, grad on, autocast off, parameters frozen (no ``.grad`` left on them); restored after."""
    was_training = model.training
    params = list(model.parameters())
    flags = [p.requires_grad for p in params]
    model.eval()
    device = params[0].device.type if params else "cpu"
    try:
        for p in params:
            p.requires_grad_(False)
        with torch.enable_grad(), torch.autocast(device, enabled=False):
            yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)
        model.train(was_training)


def task_forward(model: nn.Module, task: str, spec: TaskSpec) -> Callable[[torch.Tensor], torch.Tensor]:
    """The forward function Captum needs for one task: (B, K) logits, or (B, 1) for a regression head."""
    if spec.is_regression:
        return lambda x: model(x)[task].reshape(-1, 1)
    return lambda x: model(x)[task]


def targets(model: nn.Module, x: torch.Tensor, task: str, spec: TaskSpec, target: torch.Tensor | None) -> torch.Tensor:
    """The output index explained per image: 0 for regression, ``target`` or the predicted class otherwise."""
    if spec.is_regression:
        return torch.zeros(len(x), dtype=torch.long, device=x.device)
    if target is None:
        with torch.no_grad():
            return model(x)[task].argmax(1)
    return torch.as_tensor(target, dtype=torch.long, device=x.device).reshape(-1)


def input_attributions(model: nn.Module, x: torch.Tensor, task: str, spec: TaskSpec, target: torch.Tensor | None,
                       method: str, **options) -> torch.Tensor:
    """Signed ``(B, C, H, W)`` attributions of a pixel method (saliency, ig, smoothgrad), straight from Captum.

    Saliency is the raw gradient here (not its absolute value), so tests and completeness checks can
    see signs; :func:`pixel_map` turns any of these into the ``(B, H, W)`` map the panels show.
    """
    from captum.attr import IntegratedGradients, NoiseTunnel, Saliency

    x = x.detach().float().requires_grad_(True)
    forward = task_forward(model, task, spec)
    with attribution_mode(model):
        t = targets(model, x, task, spec, target)
        if method == "saliency":
            return Saliency(forward).attribute(x, target=t, abs=False).detach()
        if method == "ig":
            return _integrated_gradients(IntegratedGradients(forward), x, t, **options)
        if method == "smoothgrad":
            return _smoothgrad(NoiseTunnel(Saliency(forward)), x, t, **options)
    raise ToonlabError(f"input_attributions: method must be saliency, ig or smoothgrad. Received: {method!r}")


def _integrated_gradients(ig, x: torch.Tensor, t: torch.Tensor, *, baseline: str | torch.Tensor = "black",
                          steps: int = 32, background: str | Sequence[int] = "white",
                          mean: Sequence[float] = MEAN, std: Sequence[float] = STD) -> torch.Tensor:
    if not isinstance(steps, int) or steps < 1:
        raise ToonlabError(f"Integrated gradients need steps >= 1. Received: steps={steps!r}")
    base = baseline_tensor(x, baseline, background=background, mean=mean, std=std)
    rows = max(len(x), 256 // max(1, len(x)) * len(x))  # bounds memory: at most ~256 images per forward
    return ig.attribute(x, baselines=base, target=t, n_steps=steps, internal_batch_size=rows).detach()


def _smoothgrad(nt, x: torch.Tensor, t: torch.Tensor, *, samples: int = 16, stdev: float = 0.1, seed: int = 0,
                std: Sequence[float] = STD) -> torch.Tensor:
    """SmoothGrad: mean |gradient| over ``samples`` noisy copies; ``stdev`` is a fraction of the 0..255
    pixel range (the paper's noise level), i.e. ``stdev / std`` in normalised units."""
    if not isinstance(samples, int) or samples < 1 or not stdev >= 0:
        raise ToonlabError(f"SmoothGrad needs samples >= 1 and stdev >= 0. "
                           f"Received: samples={samples!r}, stdev={stdev!r}")
    devices = [x.device] if x.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):  # the noise is seeded without touching the global RNG
        torch.manual_seed(seed)
        return nt.attribute(x, nt_type="smoothgrad", nt_samples=samples, nt_samples_batch_size=max(1, 256 // len(x)),
                            stdevs=float(stdev) / float(np.mean(std)), target=t).detach()


def pixel_map(attributions: torch.Tensor) -> np.ndarray:
    """(B, C, H, W) signed attributions → (B, H, W) float32: absolute values summed over channels."""
    return attributions.abs().sum(1).float().cpu().numpy()


def baseline_tensor(x: torch.Tensor, kind: str | torch.Tensor, *, background: str | Sequence[int] = "white",
                    mean: Sequence[float] = MEAN, std: Sequence[float] = STD) -> torch.Tensor:
    """The IG reference image in normalised space, shaped like ``x``.

    ``black`` / ``white`` / ``background`` are what an image of that one colour becomes after
    normalisation (``background`` is the colour transparent pixels were filled with in training);
    ``blur`` is each image blurred with a Gaussian of sigma = side / 16. A tensor is used as given.
    """
    if isinstance(kind, torch.Tensor):
        return kind.to(x.device, x.dtype).expand_as(x)
    if kind == "blur":
        return gaussian_blur(x, sigma=x.shape[-1] / 16)
    colours = {"black": (0, 0, 0), "white": (255, 255, 255)}
    if kind == "background":
        rgb = parse_background(background) if isinstance(background, str) else tuple(background)
    elif kind in colours:
        rgb = colours[kind]
    else:
        raise ToonlabError(f"The IG baseline must be one of {', '.join(BASELINES)}. Received: baseline={kind!r}")
    m, s = (torch.tensor(v, dtype=x.dtype, device=x.device).view(1, -1, 1, 1) * 255 for v in (mean, std))
    pixel = torch.tensor(rgb, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    return ((pixel - m) / s).expand_as(x).contiguous()


def gaussian_blur(x: torch.Tensor, *, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur per channel, reflect-padded, radius 3 sigma (capped below the side)."""
    radius = max(1, min(int(math.ceil(3 * sigma)), min(x.shape[-2:]) - 1))
    k = torch.exp(-0.5 * (torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device) / sigma) ** 2)
    k = (k / k.sum()).view(1, 1, 1, -1).repeat(x.shape[1], 1, 1, 1)
    y = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="reflect"), k, groups=x.shape[1])
    return F.conv2d(F.pad(y, (0, 0, radius, radius), mode="reflect"), k.transpose(2, 3), groups=x.shape[1])


def conv_layers(model: nn.Module) -> dict[str, nn.Conv2d]:
    """Every Conv2d of the model by its ``named_modules`` name, in forward order."""
    return {name: m for name, m in model.named_modules() if isinstance(m, nn.Conv2d)}


def find_layer(model: nn.Module, layer: str | None = None) -> nn.Module:
    """The Grad-CAM layer: ``layer`` by name (as in ``named_modules``, with or without ``backbone.``),
    or by default the last Conv2d of ``model.backbone``."""
    convs = conv_layers(model)
    if layer is None:
        own = [m for m in conv_layers(getattr(model, "backbone", model)).values()]
        if not own:
            raise ToonlabError("Grad-CAM needs a conv layer, and this model has none (an MLP?). "
                               "Use --method saliency, ig or smoothgrad.")
        return own[-1]
    modules = dict(model.named_modules())
    for name in (layer, f"backbone.{layer}"):
        if name and name in modules:
            return modules[name]
    raise ToonlabError(f"The model has no layer {layer!r} for Grad-CAM. Conv layers: "
                       f"{', '.join(convs) or '(none)'}. Received: layer={layer!r}")


@METHODS.register("saliency")
def saliency(model: nn.Module, x: torch.Tensor, task: str, spec: TaskSpec, target: torch.Tensor | None) -> np.ndarray:
    """|d output / d pixel| summed over channels (Simonyan et al. 2014)."""
    return pixel_map(input_attributions(model, x, task, spec, target, "saliency"))


@METHODS.register("ig")
def integrated_gradients(model: nn.Module, x: torch.Tensor, task: str, spec: TaskSpec, target: torch.Tensor | None,
                         **options) -> np.ndarray:
    """|integrated gradients| summed over channels (Sundararajan et al. 2017); options ``baseline``
    (black, white, background, blur), ``steps`` (32), ``background`` (colour), ``mean``/``std``."""
    return pixel_map(input_attributions(model, x, task, spec, target, "ig", **options))


@METHODS.register("smoothgrad")
def smoothgrad(model: nn.Module, x: torch.Tensor, task: str, spec: TaskSpec, target: torch.Tensor | None,
               **options) -> np.ndarray:
    """Saliency averaged over noisy copies (Smilkov et al. 2017); options ``samples`` (16),
    ``stdev`` (0.1 of the pixel range), ``seed`` (0)."""
    return pixel_map(input_attributions(model, x, task, spec, target, "smoothgrad", **options))


@METHODS.register("gradcam")
def gradcam(model: nn.Module, x: torch.Tensor, task: str, spec: TaskSpec, target: torch.Tensor | None, *,
            layer: str | None = None) -> np.ndarray:
    """ReLU(sum_k mean(d output / d A_k) * A_k) on a conv layer's output A, upsampled to the input size
    (Selvaraju et al. 2017); option ``layer`` (default: the backbone's last conv)."""
    from captum.attr import LayerAttribution, LayerGradCam

    module = find_layer(model, layer)
    x = x.detach().float().requires_grad_(True)  # the layer's output must need grad: parameters are frozen
    with attribution_mode(model):
        t = targets(model, x, task, spec, target)
        cam = LayerGradCam(task_forward(model, task, spec), module).attribute(x, target=t, relu_attributions=True)
        cam = LayerAttribution.interpolate(cam.detach(), tuple(x.shape[-2:]), interpolate_mode="bilinear")
    return cam.clamp_min(0).sum(1).float().cpu().numpy()
