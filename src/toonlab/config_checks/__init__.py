"""The config's one validation pass: :func:`validate` checks every key of a resolved
:class:`~toonlab.config.ExperimentConfig` and sets the values derived from others.

``toonlab.config.resolve_config`` and the API's ``build_config`` end in it, and the command line resolves
through ``resolve_config``; :func:`toonlab.workflows.train.train` runs it again for configs built in Python code.
It is cheap and idempotent.

What is checked where:

* each key on its own (:mod:`.fields`): its type, its choices (the ``typing.Literal`` in its annotation) and
  its numeric bounds (``ge``/``gt``/``le``/``lt`` declared with the field in :mod:`toonlab.config`);
* rules that tie keys together, one module per section: :mod:`.data`, :mod:`.model`, :mod:`.train`.

Registry-backed choices (model names, activations, label sources, optimizers, schedules) are ``Literal``
annotations in :mod:`toonlab.config`, so this layer imports no model, data or training module; tests check
each ``Literal`` against its registry (``tests/test_config.py``). Rules that need the data (a task that must
exist, ``train.monitor``) stay where the data is read.

Example:
    >>> from toonlab.config import ExperimentConfig, ModelConfig
    >>> cfg = ExperimentConfig(model=ModelConfig(name="resnet18"))
    >>> cfg.data.image_size = 0  # the model's recommended size
    >>> validate(cfg).data.image_size
    224
"""

from __future__ import annotations

import dataclasses
from typing import Any

from toonlab.config_checks.data import check_data
from toonlab.config_checks.fields import check_field
from toonlab.config_checks.model import check_model, recommended_size
from toonlab.config_checks.train import check_train

__all__ = ["recommended_size", "validate"]


def validate(cfg: Any) -> Any:
    """Check ``cfg`` (an ExperimentConfig) in place and return it; ConfigError names the first bad key.

    Derived values are set here: ``data.image_size`` 0 becomes the model's recommended size.
    """
    for section in dataclasses.fields(cfg):
        owner = getattr(cfg, section.name)
        for f in dataclasses.fields(owner):
            check_field(owner, f, section.name)
    check_data(cfg.data)
    check_model(cfg.model)
    check_train(cfg)
    if cfg.data.image_size == 0:
        cfg.data.image_size = recommended_size(cfg.model.name)
    return cfg
