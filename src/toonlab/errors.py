"""User-facing errors. The CLI turns these into a one-paragraph message and exit code 2, never a traceback."""


class ToonlabError(Exception):
    """A mistake the user can fix (a missing folder, a wrong option); the message says how."""


class DataError(ToonlabError, ValueError):
    """The data folder or its labels cannot be used as asked."""


class ConfigError(ToonlabError, ValueError):
    """A user mistake in a config file, override or option; the message says how to fix it."""
