"""Rules of the ``data`` section that tie its keys together (each key's own type, choices and bounds are
checked by :mod:`toonlab.config_checks.fields`). Rules that need the images or labels (a task that must
exist, a stratify task) stay where the data is read."""

from __future__ import annotations

from typing import Any

from toonlab.errors import ConfigError


def check_data(data: Any) -> None:
    """ConfigError naming the keys of the first rule ``data`` breaks."""
    if data.val_fraction + data.test_fraction >= 1:
        raise ConfigError(f"data.val_fraction + data.test_fraction must be below 1 so that some images are left to "
                          f"train on, e.g. 0.1 and 0.2. Received: data.val_fraction={data.val_fraction!r}, "
                          f"data.test_fraction={data.test_fraction!r}")
    if data.folds == 1:
        raise ConfigError("data.folds must be 0 (one train/val/test split) or at least 2 (k-fold cross-validation: "
                          "each fold is tested once). Received: data.folds=1")
    if isinstance(data.subset, float) and data.subset > 1:
        raise ConfigError(f"data.subset is an image count (a whole number, e.g. 5000) or a fraction in (0, 1] "
                          f"(e.g. 0.3); 0 = all. Received: data.subset={data.subset!r}")
