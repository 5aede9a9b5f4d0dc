"""The audit's config: the fast recipe (``toonlab/recipes/audit.yaml``) under the data options of a folder or a run.

Example:
    >>> cfg = audit_config()
    >>> cfg.data.folds, cfg.data.image_size, cfg.model.widths
    (5, 32, [32, 64, 128])
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path

from toonlab.config import ExperimentConfig, from_dict, load_yaml
from toonlab.errors import ToonlabError
from toonlab.runs import load_run_config

RECIPE = "audit.yaml"


def audit_config() -> ExperimentConfig:
    """The shipped audit recipe as a config (data options at their defaults)."""
    path = resources.files("toonlab.recipes").joinpath(RECIPE)
    with resources.as_file(path) as p:
        return from_dict(load_yaml(p), where=f"recipe {RECIPE}")


def run_audit_config(run: str | Path) -> ExperimentConfig:
    """The audit recipe reading the data as the run in ``run`` read it: its data section and seed, the
    recipe's image size, folds, model and training (a k-fold run keeps its number of folds)."""
    run_cfg = load_run_config(run)
    cfg = audit_config()
    folds, size = run_cfg.data.folds or cfg.data.folds, cfg.data.image_size
    cfg.data = copy.deepcopy(run_cfg.data)
    cfg.data.folds, cfg.data.image_size, cfg.data.subset = folds, size, 0
    cfg.train.seed = run_cfg.train.seed
    return cfg


def check_folds(cfg: ExperimentConfig) -> None:
    """The audit needs at least two folds (every image is predicted by a network that did not train on it)."""
    folds = cfg.data.folds
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ToonlabError(f"The audit trains one network per fold and predicts each image with the one that held it "
                           f"out: --folds (data.folds) must be a whole number >= 2, e.g. 5. Received: {folds!r}")
