"""Search IgNet's per-layer initial weight ranges until every layer's gradient is in the band (seed 004 §5.4.2).

The paper tunes by hand: seeing too small first-layer derivatives, "we restart the calculations with the
second layer weights distribution amplitude increased by 10 times". Its eqs. (1a) and (5a) say why that
works: with identity activations, layer n's |∂L/∂W| grows with every *other* layer's range W^m. This module
automates the restarts. Each round rebuilds the model with ``init='uniform'`` and the same seed (so a new
range only rescales the same random draws), measures how each layer's log |∂L/∂W| responds to doubling
each group's range (one diagnosis per group, reused while the search improves), solves that log-linear
system (least squares) for the change that moves every layer to the band's geometric centre, at most ×/÷10
per group and round, and stops when every layer is inside the band or ``max_rounds`` have run.

Ranges are one per ``layer_groups`` entry (each conv and hidden linear, then all heads together), as
``model.init_weight_range`` takes them; bias ranges stay as configured.

Example:
    >>> from toonlab.config import ExperimentConfig
    >>> cfg = ExperimentConfig()
    >>> cfg.data.image_size, cfg.model = 16, ModelConfig(widths=[4], norm="none", activation="identity",
    ...     head_depth=0, head_dropout=0.0, init="uniform", init_weight_range=[1.0, 1e-5])
    >>> result = tune_init(cfg.model, make_probe(cfg, batch_size=8))  # no data: random images
    >>> result.before[0].flag, result.unconverged
    ('vanishing', [])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml

from toonlab.config import ModelConfig
from toonlab.explain.diagnose import (
    BAND,
    LayerStats,
    Probe,
    build_model,
    check_band,
    diagnose,
    load_experiment,
    make_probe,
)
from toonlab.models.init import layer_groups, per_layer
from toonlab.text_table import format_table

MAX_STEP = math.log(10.0)  # largest change of one range per round
PROBE_STEP = math.log(2.0)  # the nudge that measures each range's effect


@dataclass
class TuneResult:
    """The tuned ranges and the diagnoses before and after."""

    ranges: list[float]
    bias_ranges: list[float]
    groups: list[str]
    start: list[float]
    before: list[LayerStats]
    after: list[LayerStats]
    rounds: int
    band: tuple[float, float] = BAND
    measure: str = "grad"
    notes: list[str] = field(default_factory=list)

    @property
    def unconverged(self) -> list[str]:
        """Layers still outside the band."""
        return [s.name for s in self.after if s.flag in ("vanishing", "exploding")]


def tune_init(model_cfg: ModelConfig, probe: Probe, *, band: tuple[float, float] = BAND, max_rounds: int = 20,
              seed: int = 0, measure: str = "grad") -> TuneResult:
    """Search ``model.init_weight_range`` (one per layer group) until every layer's gradient is in ``band``.

    Args:
        model_cfg: the model config; it is tuned with ``init='uniform'`` starting from its ranges.
        probe: the batch (``make_probe``); the same for every round.
        band: healthy range of the measure (see ``diagnose``).
        max_rounds: most range updates.
        seed: initialisation seed; every rebuild uses it.
        measure: 'grad' or 'ratio' (see ``diagnose``).

    Returns:
        A ``TuneResult``; ``unconverged`` names the layers left outside the band (empty on success).

    Example:
        >>> result = tune_init(cfg.model, make_probe(cfg, "DRAWINGS"), band=(1e-2, 1e-1))  # doctest: +SKIP
        >>> write_ranges("ranges.yaml", result.ranges)  # doctest: +SKIP
    """
    band, notes = check_band(band), []
    if model_cfg.init != "uniform":
        notes.append(f"model.init was {model_cfg.init!r}; tuned and written as 'uniform'")
    cfg = replace(model_cfg, init="uniform")
    groups = [name for name, _ in layer_groups(build_model(cfg, probe, seed=seed))]
    start = per_layer(cfg.init_weight_range, len(groups), "init_weight_range")
    if 0.0 in start:
        notes.append("ranges of 0 cannot be scaled; they start at 1.0")
    bias = per_layer(cfg.init_bias_range, len(groups), "init_bias_range")

    def run(ranges: list[float]) -> list[LayerStats]:
        model = build_model(replace(cfg, init_weight_range=list(ranges)), probe, seed=seed)
        return diagnose(model, probe.x, probe.y, probe.tasks, band=band, measure=measure)

    ranges = [w or 1.0 for w in start]
    before = stats = run(ranges)
    cols, jac, rounds = _columns(before, groups), None, 0
    while rounds < max_rounds and _error(stats, band, measure) > 0:
        jac = _jacobian(run, ranges, stats, cols, measure) if jac is None else jac
        step = _step(jac, stats, band, measure)
        if np.abs(step).max() < 1e-3:
            notes.append("no range change can move the remaining layers (their gradients do not depend on it)")
            break
        ranges = [float(f"{w * math.exp(s):.3g}") for w, s in zip(ranges, step)]
        new, rounds = run(ranges), rounds + 1
        jac = jac if _error(new, band, measure) < _error(stats, band, measure) else None
        stats = new
    return TuneResult(ranges, bias, groups, start, before, stats, rounds, band, measure, notes)


def tune_run(source: str | Path, data: str | Path | None = None, *, batch_size: int = 32, seed: int | None = None,
             band: tuple[float, float] = BAND, max_rounds: int = 20, measure: str = "grad") -> TuneResult:
    """``tune_init`` for the model of a YAML config or a run folder, on one batch (as ``diagnose_run``).

    Args:
        source, data, batch_size, seed: as ``diagnose_run``.
        band, max_rounds, measure: as ``tune_init``.

    Returns:
        A ``TuneResult``; ``format_tune`` prints it, ``write_ranges`` saves the ranges as config.

    Example:
        >>> print(format_tune(tune_run("configs/ignet.yaml")))  # doctest: +SKIP
    """
    cfg, notes = load_experiment(source)
    seed = cfg.train.seed if seed is None else seed
    probe = make_probe(cfg, data, batch_size=batch_size, seed=seed)
    result = tune_init(cfg.model, probe, band=band, max_rounds=max_rounds, seed=seed, measure=measure)
    result.notes[:0] = notes + probe.notes
    return result


def ranges_yaml(ranges: list[float], *, bias_ranges: list[float] | None = None) -> str:
    """The ``model:`` section that sets the ranges, as YAML text."""
    model: dict = {"init": "uniform", "init_weight_range": [float(w) for w in ranges]}
    if bias_ranges is not None:
        model["init_bias_range"] = [float(b) for b in bias_ranges]
    return yaml.safe_dump({"model": model}, sort_keys=False, default_flow_style=None)


def write_ranges(path: str | Path, ranges: list[float], *, bias_ranges: list[float] | None = None) -> Path:
    """Write ``ranges_yaml`` to ``path``, a config that ``--config`` (or a merge into one) accepts.

    Args:
        path: the YAML file to write.
        ranges: ``model.init_weight_range``, one per layer group.
        bias_ranges: ``model.init_bias_range`` to write too (None leaves it out).

    Returns:
        The path written.

    Example:
        >>> write_ranges("ranges.yaml", [1.0, 0.5])  # doctest: +SKIP
    """
    path = Path(path)
    header = "# Initial weight ranges found by `toonlab diagnose --tune-init`: every layer's gradient in the band.\n"
    path.write_text(header + ranges_yaml(ranges, bias_ranges=bias_ranges), encoding="utf-8")
    return path


def format_tune(result: TuneResult) -> str:
    """Before/after per layer (range, measure, flag), a summary line and the YAML to use."""
    what = "|dL/dW|" if result.measure == "grad" else "|dL/dW|/|W|"
    header = ("layer", "W before", "W after", f"{what} before", "flag", f"{what} after", "flag")
    cols = _columns(result.before, result.groups)
    rows = [(b.name, f"{result.start[c]:g}", f"{result.ranges[c]:g}", _num(_value(b, result.measure)), b.flag,
             _num(_value(a, result.measure)), a.flag) for b, a, c in zip(result.before, result.after, cols)]
    lines = [f"note: {n}" for n in result.notes]
    lines.append(format_table(header, rows))
    (lo, hi), rounds = result.band, f"{result.rounds} round{'' if result.rounds == 1 else 's'}"
    if result.unconverged:
        lines.append(f"not converged after {rounds}: {', '.join(result.unconverged)} still outside {lo:g}..{hi:g}")
    else:
        lines.append(f"every layer inside {lo:g}..{hi:g} after {rounds}")
    return "\n".join(lines + [ranges_yaml(result.ranges, bias_ranges=result.bias_ranges).rstrip()])


def _columns(stats: list[LayerStats], groups: list[str]) -> list[int]:
    """The range (group) index of each diagnosed layer; all heads share the last group."""
    return [groups.index("heads" if s.name.startswith("heads.") else s.name) for s in stats]


def _value(s: LayerStats, measure: str) -> float | None:
    return s.grad_w if measure == "grad" else s.ratio


def _logs(stats: list[LayerStats], measure: str) -> np.ndarray:
    """log of each layer's measure; NaN for layers without one (weights that do not learn)."""
    values = [_value(s, measure) for s in stats]
    return np.array([math.nan if v is None else math.log(max(v, 1e-30)) for v in values])


def _error(stats: list[LayerStats], band: tuple[float, float], measure: str) -> float:
    """Sum of squared log-distances of the layers outside the band (0 = all inside)."""
    logs = _logs(stats, measure)
    out = np.maximum(math.log(band[0]) - logs, 0) + np.maximum(logs - math.log(band[1]), 0)
    return float(np.nansum(out ** 2))


def _jacobian(run, ranges: list[float], stats: list[LayerStats], cols: list[int], measure: str) -> np.ndarray:
    """d log(measure of layer i) / d log(range of group j), by doubling each range in turn."""
    base, jac = _logs(stats, measure), np.zeros((len(stats), len(ranges)))
    for j in sorted(set(cols)):
        nudged = [w * math.exp(PROBE_STEP) if k == j else w for k, w in enumerate(ranges)]
        jac[:, j] = (_logs(run(nudged), measure) - base) / PROBE_STEP
    return np.nan_to_num(jac)


def _step(jac: np.ndarray, stats: list[LayerStats], band: tuple[float, float], measure: str) -> np.ndarray:
    """Least-squares change of log ranges that moves every layer to the band's centre, capped at ×/÷10."""
    logs = _logs(stats, measure)
    keep = ~np.isnan(logs)
    target = (math.log(band[0]) + math.log(band[1])) / 2
    a, d = jac[keep], target - logs[keep]
    step = np.linalg.solve(a.T @ a + 1e-6 * np.eye(a.shape[1]), a.T @ d)
    biggest = np.abs(step).max()
    return step * (MAX_STEP / biggest) if biggest > MAX_STEP else step


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2e}"
