"""A tqdm progress bar driven by ``(done, total)`` callbacks, as ``synthesize`` and ``build_cache`` call them."""

from __future__ import annotations


class ProgressBar:
    """Call with ``(done, total)``; the bar opens on the first call and closes when done reaches total.

    Example:
        >>> bar = ProgressBar("cache", enabled=False)
        >>> bar(5, 10)
    """

    def __init__(self, desc: str, *, enabled: bool = True, unit: str = "img") -> None:
        self.desc, self.enabled, self.unit, self.bar = desc, enabled, unit, None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=self.desc, unit=self.unit, leave=False, dynamic_ncols=True)
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
