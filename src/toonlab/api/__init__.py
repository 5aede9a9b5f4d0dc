"""The public Python API: one function per verb and the :class:`~toonlab.api.run.Run` they return.

``import toonlab`` finds them (:mod:`toonlab.api.exports`); this package keeps each concern in its own module:
:mod:`.verbs` (synth, check, train, load, demo, compare), :mod:`.search` (sweep, tune), :mod:`.run` (Run),
:mod:`.overrides` (keyword arguments → config) and :mod:`.folders` (default folders). Nothing is imported
here, so ``import toonlab`` stays fast.

Example:
    >>> import toonlab
    >>> run = toonlab.train("toons", epochs=1, tasks=["hair"])  # doctest: +SKIP
"""
