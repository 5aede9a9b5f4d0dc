"""Hyper-parameter sweeps: typed sweep files (``configs/sweeps/*.yaml``) over an experiment config."""

from toonlab.sweep.spec import (
    Param,
    Round,
    Strategy,
    SweepSpec,
    apply_point,
    grid_points,
    load_sweep,
    parse_sweep,
    round_plan,
)

__all__ = ["Param", "Round", "Strategy", "SweepSpec", "apply_point", "grid_points", "load_sweep", "parse_sweep",
           "round_plan"]
