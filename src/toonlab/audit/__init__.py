"""``toonlab audit``: likely label errors per task, from out-of-fold predictions and confident learning.

:mod:`.confident` (the ranking, numpy only), :mod:`.folds` (out-of-fold probabilities), :mod:`.recipe` (the fast
config), :mod:`.table` (audit.csv and the console text), :mod:`.page` (audit.html) and :mod:`.run` (the verb).
Nothing is imported here, so ``import toonlab`` stays fast; ``toonlab.audit(...)`` calls :func:`toonlab.api.audit.audit`.
"""
