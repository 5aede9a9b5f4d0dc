"""toonlab: train, evaluate and explain CNNs on drawn and stylised images.

The public API mirrors the command line: every verb is one function, imported on first use so that
``import toonlab`` stays fast (torch loads when a verb needs it).

* ``toonlab.synth(out, n=..., size=...)`` draws the built-in cartoon faces;
* ``toonlab.check(data, ...)`` says what loads and why not;
* ``toonlab.train(data, out=None, *, config=None, **overrides)`` trains and returns a :class:`Run`;
* ``toonlab.load(run_dir)`` gives the same :class:`Run` later: ``.metrics``, ``.history``, ``.model()``,
  ``.predict(images)``, ``.evaluate()``, ``.explain()``, ``.report()``;
* ``toonlab.audit(data)`` ranks likely label errors per task;
* ``toonlab.sweep``, ``toonlab.tune``, ``toonlab.compare``, ``toonlab.demo``.

Example:
    >>> import toonlab
    >>> toonlab.__version__
    '0.1.0'
    >>> run = toonlab.train("toons", epochs=1, tasks=["hair", "face_color"])  # doctest: +SKIP
"""

import sys as _sys
import types as _types

from toonlab.version import __version__

_VERBS = ("synth", "check", "train", "load", "sweep", "tune", "compare", "demo", "audit")
__all__ = [*_VERBS, "Run", "__version__"]


def __getattr__(name: str):
    if name in __all__:
        from toonlab.api.exports import attribute  # on first use, so `import toonlab` stays fast

        return attribute(_sys.modules[__name__], name)
    raise AttributeError(f"module 'toonlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(_types.ModuleType):
    """The toonlab package: a submodule named like a verb (``toonlab.train``) is made callable as that verb
    when Python binds it here, so ``toonlab.train(...)`` works before and after ``toonlab.train.loop`` loads."""

    def __setattr__(self, name, value):
        if name in _VERBS and isinstance(value, _types.ModuleType):
            from toonlab.api.exports import callable_module  # on first use, so `import toonlab` stays fast

            value = callable_module(value)
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
