"""toonlab: train, evaluate and explain CNNs on drawn and stylised images.

The public API mirrors the command line: every verb is one function.

Example:
    >>> import toonlab
    >>> toonlab.__version__
    '0.1.0'
"""

__version__ = "0.1.0"
