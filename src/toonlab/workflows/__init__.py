"""Workflows: the train → evaluate → report pipeline of one run, and the runs built from it.

* :mod:`~toonlab.workflows.train`: ``toonlab train``, the entry point (one run, k-fold/repeats, or --nproc);
* :mod:`~toonlab.workflows.pipeline`: one run: check, train each network, evaluate on the test split;
* :mod:`~toonlab.workflows.many`: k-fold cross-validation and repeated seeds, each member a full run;
* :mod:`~toonlab.workflows.parallel`: one run trained by several processes (torchrun, ``--nproc``).

``toonlab.sweep``, ``toonlab.audit``, ``toonlab.compare`` and ``toonlab.demo`` sit one layer above and run
these (see docs/architecture.md).
"""
