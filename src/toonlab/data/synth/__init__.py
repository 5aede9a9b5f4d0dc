"""The built-in cartoon face generator (``toonlab synth``): CartoonSet's file format, drawn procedurally.

Example:
    >>> import numpy as np
    >>> from toonlab.data.synth import render_face, sample_attributes
    >>> render_face(sample_attributes(np.random.default_rng(0)), 64).size
    (64, 64)
"""

from toonlab.data.synth.attributes import ATTRIBUTES, hidden_attributes, sample_attributes
from toonlab.data.synth.render import render_face
from toonlab.data.synth.writer import SynthSummary, synthesize

__all__ = ["ATTRIBUTES", "SynthSummary", "hidden_attributes", "render_face", "sample_attributes", "synthesize"]
