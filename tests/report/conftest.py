"""Fixtures of the report tests: a tiny trained run (`trained_run`, a fresh copy per test), and a real
headless Chromium as the session fixture `browser` (Playwright driving it).

The browser is Debian's `chromium` (/usr/bin/chromium): on a fresh CI machine where we are root it is
installed with apt-get, the way tests/sweep/conftest.py installs PostgreSQL (plain install first; the
package lists are refreshed and the install retried only when that fails). Playwright for Python drives
it through `executable_path`; Playwright's own browsers are never downloaded. If no Chromium or no
Playwright can be had, the tests that need a browser are skipped with the reason.

Chromium runs as root here, so it needs --no-sandbox; the closed network of the test machines makes it
hang on background connections (component updates, sync, first-run pings) unless those are switched off.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from system_packages import apt_install

from toonlab.cli import main
from toonlab.evaluate.aggregate import aggregate
from toonlab.testing import TINY_TRAIN, make_toy_cartoonset

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
PACKAGE = "chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


# --- finding or installing the browser ------------------------------------------------------


def find_chromium() -> str | None:
    """The Chromium executable: Debian's /usr/bin/chromium, else one on PATH, else None."""
    for name in CANDIDATES:
        found = name if os.path.isfile(name) and os.access(name, os.X_OK) else shutil.which(name)
        if found:
            return found
    return None


def install_chromium() -> str | None:
    """Install Debian's `chromium` package; return why it failed, or None when it worked."""
    return apt_install(PACKAGE)


def chromium_path() -> str:
    """The Chromium executable, installing it if needed; pytest.skip with the reason if impossible."""
    found = find_chromium()
    if found is not None:
        return found
    started = time.monotonic()
    failure = install_chromium()
    if failure is not None:
        pytest.skip(f"Chromium could not be installed from Debian's packages: {failure}")
    found = find_chromium()
    if found is None:
        pytest.skip(f"apt-get installed {PACKAGE}, but no Chromium executable is at {', '.join(CANDIDATES)}")
    print(f"\nInstalled {found} in {time.monotonic() - started:.0f} s")
    return found


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _trained_once(tmp_path_factory) -> tuple[Path, Path]:
    """``(data, run)``: 40 toy images and a 1-epoch run on them (TINY_TRAIN: no PNGs under eval/), made once."""
    base = tmp_path_factory.mktemp("trained")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TOONLAB_CACHE", str(base / "cache"))
        data = make_toy_cartoonset(base / "data", n=40, size=24)
        assert main(["train", str(data), "-o", str(base / "run"), *TINY_TRAIN]) == 0
    return data, base / "run"


@pytest.fixture
def trained_run(_trained_once, tmp_path) -> Path:
    """A copy of the tiny trained run in this test's tmp_path (tests may change or delete its files)."""
    run = tmp_path / "run"
    shutil.copytree(_trained_once[1], run)
    return run


@pytest.fixture
def full_run(trained_run) -> Path:
    """`trained_run` with what `eval --robustness`, `explain` and `explain --score` add, and one mistake
    whose image no longer exists (a placeholder instead of a thumbnail)."""
    clean = {"mean_accuracy": 0.5, "tasks": {"color": {"kind": "classification", "accuracy": 0.5, "n": 4}}}
    rotate = {"transform": "rotate", "severity": 15, "mean_accuracy": 0.25, "change_pp": -25.0,
              "tasks": {"color": {"kind": "classification", "accuracy": 0.25, "n": 4}}}
    (trained_run / "robustness.json").write_text(json.dumps({"seed": 0, "n_images": 4, "split": "val", "clean": clean,
                                                             "transforms": [rotate], "meanings": {}}))
    buffer = io.BytesIO()
    Image.new("RGB", (120, 48), (240, 200, 0)).save(buffer, format="PNG")
    (trained_run / "explain" / "toy00001").mkdir(parents=True)
    (trained_run / "explain" / "toy00001" / "color.png").write_bytes(buffer.getvalue())
    (trained_run / "explain" / "scores.csv").write_text("task,method,mass,chance,ratio,hit_rate,n\n"
                                                       "color,gradcam,0.3000,0.2000,1.5000,0.5000,6\n")
    mistakes = trained_run / "eval" / "color" / "mistakes.csv"
    mistakes.write_text(mistakes.read_text() + "9/deleted.png,1,2,0.5\n")
    return trained_run


@pytest.fixture
def folds_parent(trained_run, tmp_path) -> Path:
    """A 2-fold parent made of two copies of the tiny run, with the mean ± std metrics.json of `train --folds`."""
    parent = tmp_path / "folds"
    members = {}
    for name in ("fold-1", "fold-2"):
        shutil.copytree(trained_run, parent / name)
        members[name] = json.loads((parent / name / "metrics.json").read_text())
    shutil.copy(trained_run / "config.yaml", parent / "config.yaml")
    summary = aggregate(members, kind="folds", extra={"command": "toonlab train data -o folds --folds 2", "seed": 0})
    (parent / "metrics.json").write_text(json.dumps(summary))
    return parent


@pytest.fixture
def sweep_dir(tmp_path) -> Path:
    """A sweep folder as `toonlab sweep` leaves it (results.csv, sweep.yaml, best.yaml, plots/), without trials."""
    sweep = tmp_path / "sweep"
    (sweep / "plots").mkdir(parents=True)
    (sweep / "results.csv").write_text(
        "rank,round,slot,state,train.lr,val_loss,epochs,wall_time_s,test_acc,folder\n"
        "1,,0,complete,0.01,1.59279,2,2.88,0.5,trials/p000\n"
        "2,,1,complete,0.002,1.7139,2,0.29,,trials/p001\n"
        "3,,2,failed,<0.5>,,,0.1,,trials/p002\n")
    (sweep / "sweep.yaml").write_text("metric: val_loss\nspace:\n  train.lr: {grid: [0.01, 0.002]}\n")
    (sweep / "best.yaml").write_text("# The best of sweep s.yaml: lr=0.01\ntrain:\n  lr: 0.01\n")
    Image.new("RGB", (300, 200), (0, 90, 0)).save(sweep / "plots" / "trials.png")
    return sweep


@pytest.fixture
def toy_root(_trained_once) -> Path:
    """The data folder of `trained_run` (read-only: shared by all tests)."""
    return _trained_once[0]


@pytest.fixture(scope="session")
def browser(tmp_path_factory) -> Iterator[object]:
    """A Playwright browser context on Debian's headless Chromium with a fresh profile folder.

    Yields a ``playwright.sync_api.BrowserContext``; ``context.new_page()`` opens a tab.
    """
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the browser test needs Playwright (pip install -e '.[test]')")
    executable = chromium_path()
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(Path(profile)), executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            chromium_sandbox=False, viewport={"width": 1280, "height": 900}, offline=True)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def sections():
    """``sections(html) -> {section id: its markup}`` for a report page."""
    def split(html: str) -> dict[str, str]:
        return dict(re.findall(r'<section id="([^"]+)">(.*?)</section>', html, flags=re.DOTALL))
    return split
