"""Python keyword arguments → one resolved :class:`~toonlab.config.ExperimentConfig`.

The Python twin of the command line's ``--config FILE --section.key=value --epochs N``: a ``config`` (YAML
path or dict) over the defaults, then keyword overrides of three kinds:

* shortcuts, the same the command line has: ``epochs=5`` (train.epochs), ``tasks=["hair", "face_color"]``
  (data.tasks; a list or a comma string), ``image_size=32``, ``lr=1e-3``, ``seed``, ``batch_size``, ... (see
  :data:`SHORTCUTS`);
* a section as a dict: ``model={"widths": [32, 64]}``, ``augment={"hflip": 0.5}``;
* a dotted key: ``**{"train.lr": 1e-3}``.

``data=`` given as a folder (a string or Path) rather than a dict is the data folder.

Precedence is defaults < ``config`` < section dicts < dotted keys < shortcuts, as on the command line.

Example:
    >>> cfg = build_config("toons", epochs=3, tasks=["hair", "face_color"], model={"widths": [16, 32]})
    >>> cfg.train.epochs, cfg.data.tasks, cfg.model.widths
    (3, 'hair,face_color', [16, 32])
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path
from typing import Any, Mapping

from toonlab.config import (SECTIONS, ConfigError, ExperimentConfig, from_dict, resolve_config, set_option, to_dict,
                            validate)

# Keyword → config key: the command line's shortcut options (``--epochs`` …), spelled as Python names.
SHORTCUTS: dict[str, str] = {
    **{name: f"data.{name}" for name in ("source", "labels", "file_column", "pattern", "tasks", "regression",
                                         "combine", "group", "visibility", "duplicates", "exclude", "limit", "image_size",
                                         "folds")},
    **{name: f"train.{name}" for name in ("mode", "epochs", "budget", "seed", "batch_size", "lr", "repeats",
                                          "progress")},
    "weights": "model.weights",
}


def build_config(data: str | Path | None = None, /, *, config: str | Path | Mapping | ExperimentConfig | None = None,
                 base: ExperimentConfig | None = None, check: bool = True, **overrides: Any) -> ExperimentConfig:
    """Defaults (or ``base``) < ``config`` < keyword ``overrides``; ``data`` sets data.path when given.

    Args:
        data: the data folder (data.path); None keeps the config's.
        config: a YAML file, a dict of sections (``{"train": {"epochs": 3}}``) or an ExperimentConfig.
        base: the config to start from instead of the defaults (e.g. a recipe).
        check: False leaves out the validation, for a template validated per variant (``toonlab.compare``).
        **overrides: shortcuts (``epochs=3``), section dicts (``model={...}``) or dotted keys
            (``**{"train.lr": 1e-3}``).

    Returns:
        The resolved config, validated once at the end (:func:`toonlab.config.validate`).

    Raises:
        ConfigError: an unknown keyword (naming the valid ones and the closest match), an unknown section
            or key, a value of the wrong type, or one outside its choices or bounds.

    Example:
        >>> build_config(**{"train.lr": 1e-3}).train.lr
        0.001
    """
    cfg = _start(config, base)
    sections, dotted, shortcuts = split_overrides(overrides)
    for section, values in sections.items():
        for key, value in values.items():
            _set(cfg, f"{section}.{key}", value, f"{section}={{{key!r}: ...}}")
    for key, value in dotted.items():
        _set(cfg, key, value, f"'{key}'")
    for name, value in shortcuts.items():
        _set(cfg, SHORTCUTS[name], value, f"{name}=")
    if data is not None:
        cfg.data.path = str(data)
    return validate(cfg) if check else cfg


def split_overrides(overrides: Mapping[str, Any]) -> tuple[dict[str, dict], dict[str, Any], dict[str, Any]]:
    """``(section dicts, dotted keys, shortcuts)``; a ConfigError for any other keyword. None values are dropped."""
    sections, dotted, shortcuts = {}, {}, {}
    for name, value in overrides.items():
        if value is None:
            continue
        if name == "data" and isinstance(value, (str, Path)):  # train(data="faces/"): the folder, not a section
            dotted["data.path"] = str(value)
        elif name in SECTIONS:
            if not isinstance(value, Mapping):
                raise ConfigError(f"{name}= takes a dict of {name} keys, e.g. {_example(name)}. Received: "
                                  f"{name}={value!r}")
            sections[name] = dict(value)
        elif "." in name:
            dotted[name] = value
        elif name in SHORTCUTS:
            shortcuts[name] = value
        else:
            raise ConfigError(unknown_keyword(name, value))
    return sections, dotted, shortcuts


def flat_options(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword ``overrides`` as typed ``{section.key: value}``, in precedence order (for tune and sweep)."""
    sections, dotted, shortcuts = split_overrides(overrides)
    flat = {f"{s}.{k}": v for s, values in sections.items() for k, v in values.items()}
    flat.update(dotted)
    flat.update({SHORTCUTS[name]: value for name, value in shortcuts.items()})
    return {key: _joined(key, value) for key, value in flat.items()}


def unknown_keyword(name: str, value: Any = None) -> str:
    """One paragraph: ``name`` is no keyword; the valid ones and the closest match (a config key if it is one)."""
    owners = [s for s, kind in SECTIONS.items() if name in {f.name for f in dataclasses.fields(kind)}]
    if owners:
        key = f"{owners[0]}.{name}"
        hint = f"Did you mean the config key {key}? Pass it as **{{{key!r}: ...}} or {owners[0]}={{{name!r}: ...}}. "
    else:
        close = difflib.get_close_matches(name, [*SHORTCUTS, *SECTIONS], n=1)
        hint = f"Did you mean {close[0]}=? " if close else ""
    valid = ", ".join([*SHORTCUTS, *SECTIONS])
    return (f"Unknown keyword argument {name}=. {hint}Valid keywords: {valid}, or any config key as "
            f"**{{'section.key': value}} (`toonlab config` lists every key). Received: {name}={_short(value)}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _start(config: Any, base: ExperimentConfig | None) -> ExperimentConfig:
    """The config before keyword overrides: ``base`` or the defaults, with ``config`` (a file or a dict) over it."""
    if isinstance(config, ExperimentConfig):
        return from_dict(to_dict(config))  # a copy: the caller's config is left as it was
    if isinstance(config, Mapping):
        merged = resolve_config(base=base, check=False)
        for section, values in config.items():
            if not isinstance(values, Mapping):
                raise ConfigError(f"config= as a dict maps sections to dicts of keys, e.g. "
                                  f"{{'train': {{'epochs': 3}}}}. Received: config[{section!r}]={values!r}")
            for key, value in values.items():
                _set(merged, f"{section}.{key}", value, f"config[{section!r}][{key!r}]")
        return merged
    if config is not None and not isinstance(config, (str, Path)):
        raise ConfigError(f"config= takes a YAML file path or a dict of sections. Received: config of type "
                          f"{type(config).__name__}")
    return resolve_config(base=base, yaml_path=config, check=False)


def _set(cfg: ExperimentConfig, key: str, value: Any, where: str) -> None:
    """set_option with a Python list joined where the key holds a comma list as text (data.tasks)."""
    try:
        set_option(cfg, key, _joined(key, value))
    except ConfigError as e:
        raise ConfigError(f"{where}: {str(e).removeprefix('option: ')}") from None


def _joined(key: str, value: Any) -> Any:
    section, _, name = key.partition(".")
    kinds = {f.name: f.type for f in dataclasses.fields(SECTIONS[section])} if section in SECTIONS else {}
    if isinstance(value, (list, tuple)) and kinds.get(name) == "str":
        return ",".join(str(v) for v in value)
    return value


def _example(section: str) -> str:
    key = dataclasses.fields(SECTIONS[section])[0]
    return f"{section}={{{key.name!r}: {key.default!r}}}"
