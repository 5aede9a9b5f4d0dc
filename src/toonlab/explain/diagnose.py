"""Per-layer diagnostics at initialisation: IgNet's table of mean absolute values (Mackarov, seed 004 fig. 4).

One batch goes forward and backward through a freshly built model (train mode, as the first training
step sees it; nothing is updated). Per conv and linear layer, heads included, the table gives the output
shape, parameters, receptive field and the mean absolute value (MAV) of the weights, biases, layer input,
loss derivative at the layer output, and loss derivative w.r.t. the weights and the biases.

The band is seed 004's: "*acceptable* derivatives were of order of 0.01 - 0.1. Smaller values most often
resulted in very slow learning. Higher values could invoke a burst of instability (gradient explosion)."
The derivatives meant are the MAV of ∂Loss/∂w per layer (fig. 4's ``der_w MAV``), an absolute value, not
one divided by the weights: so ``measure='grad'`` (default) flags by MAV|∂L/∂W|. ``measure='ratio'`` flags
by MAV|∂L/∂W| / MAV|W| instead, a scale-free reading the paper does not use. Gradients are those of the
batch-mean loss (what the optimizer steps with); ``dout`` is per image (batch-mean derivative × batch size).
Seed 004's example: too small second-layer weights make the *first* layer's derivatives vanish (eq. 1a).

Example:
    >>> from toonlab.config import ModelConfig
    >>> from toonlab.data.samples import TaskSpec
    >>> from toonlab.models import create_model
    >>> tasks = {"a": TaskSpec("a", classes=("x", "y"))}
    >>> net = create_model(ModelConfig(widths=[4], norm="none", head_depth=0), tasks, image_size=16)
    >>> rows = diagnose(net, torch.randn(8, 3, 16, 16), torch.zeros(8, 1), tasks)
    >>> [r.name for r in rows]
    ['backbone.stages.0.0', 'heads.a']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils import parametrize

from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.explain.probe import Probe, build_model, load_experiment, make_probe  # noqa: F401
from toonlab.explain.receptive import receptive_fields
from toonlab.models.losses import multitask_loss
from toonlab.text_table import format_table

BAND = (1e-2, 1e-1)
MEASURES = ("grad", "ratio")
LAYERS = (nn.Conv2d, nn.Linear)


@dataclass
class LayerStats:
    """One conv/linear layer's row of the table; MAV = mean absolute value. None = not applicable."""

    name: str
    kind: str
    out_shape: tuple[int, ...]
    params: int
    rf: int | None  # receptive field side in input pixels (conv layers)
    w_mav: float
    b_mav: float | None  # None without a bias
    in_mav: float
    dout_mav: float  # MAV of ∂loss/∂(layer output) per image, before the activation
    grad_w: float | None  # MAV of ∂L/∂W; None when the weights do not learn
    grad_b: float | None  # MAV of ∂L/∂b; None without a bias or with a frozen one (model.bias=false)
    ratio: float | None  # grad_w / w_mav
    flag: str  # 'ok', 'vanishing', 'exploding' or 'n/a'


@dataclass
class DiagnoseResult:
    """What ``diagnose_run`` found: the layers and how they were measured."""

    source: str
    layers: list[LayerStats]
    band: tuple[float, float] = BAND
    measure: str = "grad"
    notes: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> list[LayerStats]:
        return [s for s in self.layers if s.flag in ("vanishing", "exploding")]


def diagnose(model: nn.Module, x: torch.Tensor, y: torch.Tensor, tasks: dict[str, TaskSpec], *,
             band: tuple[float, float] = BAND, measure: str = "grad") -> list[LayerStats]:
    """One forward and backward pass of ``(x, y)`` in train mode; per conv/linear layer, its MAV row and flag.

    The model is left as found: hooks removed, ``.grad`` untouched, batch-norm statistics restored.

    Args:
        model: a built model returning ``{task: output}``.
        x: normalised images (B, C, S, S).
        y: targets (B, T) float, one column per task in ``tasks`` order, NaN = no label.
        tasks: task specs in column order.
        band: healthy (low, high) range of the measure; below is 'vanishing', above 'exploding'.
        measure: 'grad' (MAV|∂L/∂W|, seed 004) or 'ratio' (MAV|∂L/∂W| / MAV|W|).

    Returns:
        One ``LayerStats`` per conv/linear module in forward order (each head its own row); see the
        module example.
    """
    band = check_band(band)
    if measure not in MEASURES:
        raise ToonlabError(f"measure must be one of {', '.join(MEASURES)}. Received: {measure!r}")
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, LAYERS)]
    seen: dict[str, dict] = {}
    handles = [m.register_forward_hook(_capture(n, seen)) for n, m in layers]
    saved, was_training = [b.detach().clone() for b in model.buffers()], model.training
    try:
        model.train()
        with parametrize.cached():  # the weight tensors the forward uses, DropConnect/FreezeConnect applied
            weights = {n: m.weight for n, m in layers}
            loss, _ = multitask_loss(model(x), y, tasks)
            grads = _gradients(loss, layers, weights, seen)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
        with torch.no_grad():
            for b, old in zip(model.buffers(), saved):
                b.copy_(old)
    rf = {r["name"]: r["rf"] for r in receptive_fields(model, x.shape[-1])}
    return [_row(n, m, weights[n], seen[n], grads, rf.get(n), x.shape[0], band, measure)
            for n, m in layers if n in seen]  # a layer the forward did not use has no row


def flag_of(value: float | None, band: tuple[float, float]) -> str:
    """'vanishing' below ``band``, 'exploding' above, 'ok' inside, 'n/a' for None."""
    if value is None:
        return "n/a"
    return "vanishing" if value < band[0] else "exploding" if value > band[1] else "ok"


def check_band(band: tuple[float, float] | str) -> tuple[float, float]:
    """``band`` (two numbers, or text 'LO,HI' such as '1e-2,1e-1') as floats with 0 < LO < HI."""
    try:
        lo, hi = (float(v) for v in (band.split(",") if isinstance(band, str) else band))
    except (TypeError, ValueError):
        lo = hi = math.nan
    if not 0 < lo < hi:
        raise ToonlabError(f"The band must be two numbers LO,HI with 0 < LO < HI, e.g. 1e-2,1e-1. Received: {band!r}")
    return lo, hi


def diagnose_run(source: str | Path, data: str | Path | None = None, *, batch_size: int = 32,
                 seed: int | None = None, band: tuple[float, float] = BAND, measure: str = "grad") -> DiagnoseResult:
    """Diagnose the model of a YAML config or a run folder at initialisation, on one batch.

    Args:
        source: a YAML config, or a run folder (a fresh model from its config; trained weights are not loaded).
        data: data folder; default the config's ``data.path``. Without data: random images, one dummy 2-class task.
        batch_size: images in the batch.
        seed: seed of the init and of the batch; None = ``train.seed`` (the model training would start from).
        band, measure: see ``diagnose``.

    Returns:
        A ``DiagnoseResult``; ``format_diagnose`` prints it.

    Example:
        >>> print(format_diagnose(diagnose_run("configs/ignet.yaml", "DRAWINGS")))  # doctest: +SKIP
    """
    cfg, notes = load_experiment(source)
    seed = cfg.train.seed if seed is None else seed
    probe = make_probe(cfg, data, batch_size=batch_size, seed=seed)
    model = build_model(cfg.model, probe, seed=seed)
    layers = diagnose(model, probe.x, probe.y, probe.tasks, band=band, measure=measure)
    return DiagnoseResult(str(source), layers, check_band(band), measure, notes + probe.notes)


def format_diagnose(result: DiagnoseResult) -> str:
    """The table as plain text: one row per layer, flagged rows marked '!', notes and a summary line."""
    header = ("", "layer", "type", "output", "params", "RF", "|W|", "|b|", "|in|", "|dL/dout|", "|dL/dW|",
              "|dL/db|", "|dL/dW|/|W|", "flag")
    rows = [("!" if s.flag in ("vanishing", "exploding") else "", s.name, s.kind,
             "x".join(map(str, s.out_shape)) or "1", str(s.params), "-" if s.rf is None else str(s.rf),
             *(_num(v) for v in (s.w_mav, s.b_mav, s.in_mav, s.dout_mav, s.grad_w, s.grad_b, s.ratio)), s.flag)
            for s in result.layers]
    lines = [f"{result.source}: at initialisation, one batch forward and backward"]
    lines += [f"note: {n}" for n in result.notes]
    lines.append(format_table(header, rows, right_from=3))
    return "\n".join(lines + [summary(result)])


def summary(result: DiagnoseResult) -> str:
    """E.g. '1 of 2 layers outside 0.01..0.1 (|dL/dW|): backbone.stages.0.0 vanishing'."""
    lo, hi = result.band
    what = "|dL/dW|" if result.measure == "grad" else "|dL/dW|/|W|"
    bad, n = result.flagged, len(result.layers)
    if not bad:
        return f"all {n} layers inside {lo:g}..{hi:g} ({what})"
    return f"{len(bad)} of {n} layers outside {lo:g}..{hi:g} ({what}): " + ", ".join(f"{s.name} {s.flag}" for s in bad)


def _capture(name: str, seen: dict[str, dict]):
    def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> torch.Tensor:
        seen[name] = {"in": inputs[0].detach().abs().mean().item(), "out": output, "shape": tuple(output.shape[1:])}
        return output.clone()  # an in-place activation next (ReLU(inplace=True)) must not overwrite ``output``
    return hook


def _gradients(loss: torch.Tensor, layers, weights: dict, seen: dict) -> dict[tuple[str, str], torch.Tensor | None]:
    if not loss.requires_grad:
        raise ToonlabError("The batch has no label for any task, so there is no loss to differentiate.")
    wanted = {(n, "w"): weights[n] for n, _ in layers if weights[n].requires_grad}
    wanted |= {(n, "b"): m.bias for n, m in layers if m.bias is not None and m.bias.requires_grad}
    wanted |= {(n, "out"): seen[n]["out"] for n, _ in layers if n in seen}
    grads = torch.autograd.grad(loss, list(wanted.values()), allow_unused=True)
    return dict(zip(wanted, grads))


def _row(name: str, module: nn.Module, weight: torch.Tensor, seen: dict, grads: dict, rf: int | None,
         batch: int, band: tuple[float, float], measure: str) -> LayerStats:
    w_mav, grad_w = _mav(weight), _grad(grads, (name, "w"))
    ratio = None if grad_w is None or w_mav == 0 else grad_w / w_mav
    b_mav = None if module.bias is None else _mav(module.bias)
    params = sum(p.numel() for p in module.parameters())
    return LayerStats(name, _kind(module), seen["shape"], params, rf, w_mav, b_mav, seen["in"],
                      batch * _grad(grads, (name, "out")), grad_w, _grad(grads, (name, "b")), ratio,
                      flag_of(grad_w if measure == "grad" else ratio, band))


def _grad(grads: dict, key: tuple[str, str]) -> float | None:
    """MAV of a gradient: 0 where none reached the tensor, None for a tensor that does not learn."""
    return None if key not in grads else 0.0 if grads[key] is None else _mav(grads[key])


def _mav(t: torch.Tensor) -> float:
    return t.detach().abs().mean().item()


def _kind(module: nn.Module) -> str:
    cls = type(module)  # a parametrized module's class is a subclass made on the fly
    return (cls.__bases__[0] if parametrize.is_parametrized(module) else cls).__name__


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2e}"
