"""The package version, in a module of its own so every layer can name it without importing the package root
(whose ``__getattr__`` reaches the API layer)."""

__version__ = "0.1.0"
