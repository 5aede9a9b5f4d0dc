"""``toonlab.audit`` from Python: the same verb as the command line, and the audit recipe parses."""

from __future__ import annotations

import toonlab
from toonlab.audit.recipe import audit_config
from toonlab.testing import make_toy_cartoonset


def test_the_recipe_is_small_and_short():
    cfg = audit_config()
    assert cfg.data.folds == 5 and cfg.train.epochs == 8 and cfg.data.image_size == 32


def test_toonlab_audit_returns_the_result_and_stays_a_package(tmp_path):
    import toonlab.audit.confident  # the package stays importable beside the verb

    assert callable(toonlab.audit) and callable(toonlab.audit.confident.find_label_issues)
    data = make_toy_cartoonset(tmp_path / "toys", n=24, size=16)
    result = toonlab.audit(data, tmp_path / "audit", folds=2, epochs=1, image_size=8, progress=False,
                           model={"widths": [8], "head_width": 16}, data={"workers": 1},
                           **{"train.precision": "fp32"})
    assert result.csv == tmp_path / "audit" / "audit.csv" and result.csv.exists() and result.page.exists()
    assert set(result.tasks) == {"color", "size"} and all(t["audited"] == 24 for t in result.tasks.values())
    assert all(r["rank"] >= 1 for r in result.rows)
