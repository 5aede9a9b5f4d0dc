"""``toonlab.audit``: the ``audit`` verb as a Python function (:mod:`toonlab.audit.run`).

Example:
    >>> result = toonlab.audit("toons", tasks=["hair_color"])  # doctest: +SKIP
    >>> result.rows[0]["file"], result.csv  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from toonlab.api.overrides import build_config
from toonlab.api.words import speaks_python
from toonlab.errors import ToonlabError


@speaks_python
def audit(data: str | Path | None = None, /, out: str | Path | None = None, *,
          config: str | Path | Mapping | None = None, **overrides: Any):
    """Rank the likely label errors of ``data`` per task, from out-of-fold predictions of small networks.

    Args:
        data: the data folder, or a run folder (its data options and seed are reused).
        out: the audit folder (an earlier audit there is replaced); None = ``RUN/audit`` for a run, else
            ``runs/audit-<data name>-<date>-<time>``.
        config: a YAML file or a dict of sections over the audit recipe (``toonlab/recipes/audit.yaml``).
        **overrides: label options and shortcuts as for :func:`toonlab.train` (``tasks``, ``source``,
            ``folds``, ``epochs``, ``image_size``, ``budget``, ``seed``, ``progress``, ...) or any config key.

    Returns:
        An :class:`~toonlab.audit.run.AuditResult`: ``.rows`` (the rows of audit.csv), ``.tasks`` (per task
        images audited, out-of-fold accuracy, flags), ``.csv``, ``.page``; train without the flagged images
        with ``toonlab.train(data, exclude=result.csv)``.

    Example:
        >>> result = toonlab.audit("toons", folds=5, epochs=8)  # doctest: +SKIP
        >>> [r["file"] for r in result.rows if r["task"] == "hair_color"][:3]  # doctest: +SKIP
    """
    from toonlab.api.verbs import call_text  # lazy: `import toonlab` stays fast
    from toonlab.audit.recipe import audit_config, run_audit_config
    from toonlab.audit.run import audit_data
    from toonlab.runs import default_run_dir, is_run_folder

    run = data if data is not None and is_run_folder(data) else None
    base = run_audit_config(run) if run else audit_config()
    cfg = build_config(None if run else data, config=config, base=base, **overrides)
    if not cfg.data.path:
        raise ToonlabError("No data folder: pass it first, toonlab.audit('faces/', ...), or a run folder.")
    folder = out or (Path(run) / "audit" if run else default_run_dir(cfg.data.path, prefix="audit-"))
    return audit_data(cfg, folder, command=call_text("audit", data, out, overrides))
