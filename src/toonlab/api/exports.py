"""How ``toonlab.<verb>`` finds its function without importing anything heavy at ``import toonlab``.

Five verbs share their name with a subpackage or module: ``toonlab.train``, ``toonlab.sweep`` and
``toonlab.audit`` (packages), ``toonlab.compare`` and ``toonlab.demo`` (modules). Python binds a submodule to its name on the
parent when it is first imported, which would hide the function. So those modules are made callable
instead: ``toonlab.train("toons")`` calls :func:`toonlab.api.verbs.train`, while ``toonlab.train.loop`` and the
package's other modules keep working as before (the library function behind the verb is
:func:`toonlab.workflows.train.train`).

Example:
    >>> import toonlab
    >>> callable(toonlab.train) and callable(toonlab.load)
    True
"""

from __future__ import annotations

import importlib
import inspect
import types
from typing import Any, Callable

# Public name → "module:function" of the API.
TARGETS = {
    "train": "toonlab.api.verbs:train", "load": "toonlab.api.verbs:load", "synth": "toonlab.api.verbs:synth",
    "check": "toonlab.api.verbs:check", "demo": "toonlab.api.verbs:demo", "compare": "toonlab.api.verbs:compare",
    "audit": "toonlab.api.audit:audit", "sweep": "toonlab.api.search:sweep", "tune": "toonlab.api.search:tune", "Run": "toonlab.api.run:Run",
}
# Verbs whose name is also a toonlab subpackage or module: that module becomes callable.
MODULE_VERBS = ("train", "sweep", "compare", "demo", "audit")


def target(name: str) -> Callable[..., Any]:
    """The API function (or class) ``toonlab.<name>`` stands for."""
    module, _, attr = TARGETS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def attribute(package: types.ModuleType, name: str) -> Any:
    """``toonlab.<name>`` on first use: the callable submodule for MODULE_VERBS, else the function itself."""
    if name in MODULE_VERBS:
        importlib.import_module(f"{package.__name__}.{name}")  # binds it on the package: see callable_module
        return package.__dict__[name]
    value = target(name)
    setattr(package, name, value)
    return value


class VerbModule(types.ModuleType):
    """A toonlab module that is also its verb: calling it calls the API function of the same name."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return target(self.__name__.rpartition(".")[2])(*args, **kwargs)

    def __repr__(self) -> str:
        verb = self.__name__.rpartition(".")[2]
        return f"<module {self.__name__!r}, callable as the verb toonlab.{verb}(...): help(toonlab.api.{_home(verb)})>"

    @property
    def __signature__(self) -> inspect.Signature:  # so help() and notebooks show the verb's arguments
        return inspect.signature(target(self.__name__.rpartition(".")[2]))


def callable_module(module: types.ModuleType) -> types.ModuleType:
    """``module`` made callable as its verb (its class changes; everything in it stays as it was)."""
    if type(module) is types.ModuleType:
        module.__class__ = VerbModule
    return module


def _home(verb: str) -> str:
    """``verbs.train``: where the verb's function and docstring live, for its module's repr."""
    module, _, attr = TARGETS[verb].partition(":")
    return f"{module.rpartition('.')[2]}.{attr}"
