"""The ``toonlab`` command line: one module per group of verbs, shared options in :mod:`.options`."""

from toonlab.cli.app import main

__all__ = ["main"]
