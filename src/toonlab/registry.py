"""A small strict registry: models, label sources, augmentations and explainers register by name.

Duplicate names raise; an unknown name lists the valid ones and the closest match.

Example:
    >>> sources = Registry("label source")
    >>> @sources.register("cartoonset")
    ... def cartoonset(root, config): ...
    >>> sources.get("cartoonset")  # doctest: +ELLIPSIS
    <function cartoonset at ...>
"""

from __future__ import annotations

import difflib
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to builders; refuses duplicates and explains unknown names."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that registers ``obj`` under ``name``."""

        def add(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"A {self.kind} named {name!r} is already registered; names must be unique.")
            self._items[name] = obj
            return obj

        return add

    def get(self, name: str) -> T:
        """Return the entry for ``name`` or raise a ``KeyError`` that lists the valid names."""
        if name in self._items:
            return self._items[name]
        valid = ", ".join(sorted(self._items)) or "(none registered)"
        close = difflib.get_close_matches(name, list(self._items), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"Unknown {self.kind} {name!r}.{hint} Valid names: {valid}. Received: {name!r}")

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
