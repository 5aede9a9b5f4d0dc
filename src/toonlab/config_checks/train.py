"""Rules of the ``train`` section that tie its keys together or to other sections (each key's own type,
choices and bounds are checked by :mod:`toonlab.config_checks.fields`). ``train.monitor`` needs the tasks,
so it is checked where they are known (:func:`toonlab.workflows.pipeline.monitored_metric`)."""

from __future__ import annotations

import re
from typing import Any

from toonlab.budget import parse_duration
from toonlab.config_checks.fields import check_bounds
from toonlab.config_checks.model import OWN_MODELS
from toonlab.errors import ConfigError, ToonlabError

DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")


def check_train(cfg: Any) -> None:
    """ConfigError naming the keys of the first rule ``cfg.train`` (with the other sections) breaks."""
    train = cfg.train
    try:
        parse_duration(train.budget, name="train.budget")
    except ToonlabError:
        raise ConfigError(f"train.budget is a duration such as 90s, 10m, 1.5h or 1h30m (plain numbers are seconds; "
                          f"'' or 0 = no budget). Received: train.budget={train.budget!r}") from None
    if not DEVICE.fullmatch(train.device):
        raise ConfigError(f"train.device must be 'auto', 'cpu', 'cuda' or 'cuda:N' (one GPU). "
                          f"Received: train.device={train.device!r}")
    if train.optimizer == "sgd" and train.nesterov and train.momentum <= 0:
        raise ConfigError(f"train.nesterov needs train.momentum > 0, e.g. 0.9. Received: "
                          f"train.momentum={train.momentum!r}")
    if 0 < train.diverge_factor <= 1:
        raise ConfigError("train.diverge_factor must be a number > 1 (how many times its reference loss a head's "
                          f"loss may reach), e.g. 10, or 0 (off). Received: train.diverge_factor={train.diverge_factor!r}")
    for task, weight in train.loss_weights.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise ConfigError(f"train.loss_weights maps task names to numbers >= 0, e.g. {{hair: 2.0}}. "
                              f"Received: train.loss_weights.{task}={weight!r}")
        check_bounds(f"train.loss_weights.{task}", weight, {"ge": 0}, weight)
    _check_runs(cfg)


def _check_runs(cfg: Any) -> None:
    folds, repeats = cfg.data.folds, cfg.train.repeats
    if folds and repeats > 1:
        raise ConfigError("Use either k-fold cross-validation (--folds, data.folds) or repeated seeds "
                          f"(--repeats, train.repeats), not both. Received: data.folds={folds}, "
                          f"train.repeats={repeats}")
    finetune = cfg.model.name not in OWN_MODELS and cfg.model.transfer == "finetune"
    if cfg.train.shared_lr != 1.0 and finetune:
        raise ConfigError("model.transfer=finetune sets the backbone's rate with model.backbone_lr; leave "
                          f"train.shared_lr at 1 there. Received: train.shared_lr={cfg.train.shared_lr!r}")
