"""The shared progress helper: which mode, plain lines without carriage returns, bars on a terminal."""

from __future__ import annotations

import logging
import sys

import pytest

import toonlab.progress as progress
from toonlab.data.cache import build_cache
from toonlab.progress import Progress, format_eta, progress_mode, track
from toonlab.testing import make_toy_cartoonset


@pytest.fixture
def no_tty(monkeypatch):
    monkeypatch.setattr(progress, "stderr_is_tty", lambda: False)
    monkeypatch.setattr(progress, "in_notebook", lambda: False)


@pytest.fixture
def fake_tty(monkeypatch):
    monkeypatch.setattr(progress, "stderr_is_tty", lambda: True)


def lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "toonlab.progress"]


def test_the_mode_follows_the_switch_the_terminal_and_the_notebook(monkeypatch, no_tty):
    assert progress_mode(False) == "off"
    assert progress_mode(True) == "lines"
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    assert progress_mode(True) == "bar"
    monkeypatch.setattr(progress, "in_notebook", lambda: False)
    monkeypatch.setattr(progress, "stderr_is_tty", lambda: True)
    assert progress_mode(True) == "bar" and progress_mode(False) == "off"


def test_without_a_terminal_a_long_loop_writes_a_few_plain_lines(no_tty, monkeypatch, caplog, capsys):
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.0)
    with caplog.at_level(logging.INFO, logger="toonlab"):
        bar = Progress("cache", enabled=True)
        for done in range(1, 101):
            bar(done, 100)
    written = lines(caplog)
    assert written[0].startswith("cache: 10/100 img (10 %), ") and "ETA" in written[0]
    assert len(written) == 10  # 10 % .. 90 %, then the last line
    assert written[-1].startswith("cache: 100 img in ")
    assert "\r" not in capsys.readouterr().err + "".join(written)


def test_a_short_loop_without_a_terminal_says_nothing(no_tty, caplog, capsys):
    with caplog.at_level(logging.INFO, logger="toonlab"):
        assert list(track(range(50), "eval", unit="batch")) == list(range(50))
    assert lines(caplog) == [] and capsys.readouterr().err == ""


def test_on_a_terminal_a_tqdm_bar_is_drawn(fake_tty, caplog, capsys):
    with caplog.at_level(logging.INFO, logger="toonlab"):
        assert list(track(range(5), "explain", unit="panel")) == list(range(5))
    err = capsys.readouterr().err
    assert "explain" in err and "\r" in err and lines(caplog) == []


def test_switched_off_nothing_shows(fake_tty, caplog, capsys):
    with caplog.at_level(logging.INFO, logger="toonlab"):
        bar = Progress("cache", enabled=False)
        bar(5, 10)
        bar(10, 10)
    assert not bar.enabled and lines(caplog) == [] and capsys.readouterr().err == ""


def test_cache_building_without_a_terminal_writes_plain_progress_lines(tmp_path, no_tty, monkeypatch, caplog,
                                                                        capsys):
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.0)
    root = make_toy_cartoonset(tmp_path / "toy", n=40, size=16)
    paths = sorted(root.rglob("*.png"))
    with caplog.at_level(logging.INFO, logger="toonlab"):
        build_cache(paths, size=16, cache_dir=tmp_path / "cache", workers=1, progress=Progress("cache"))
    written = lines(caplog)
    assert len(written) >= 2 and all(line.startswith("cache: ") for line in written)
    assert written[-1].startswith(f"cache: {len(paths)} img in ")
    assert "\r" not in capsys.readouterr().err


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (12.4, "12s"), (185, "3m05s"), (3720, "1h02m")])
def test_format_eta(seconds, text):
    assert format_eta(seconds) == text


def test_a_loop_that_logs_its_own_closing_line_gets_no_summary(no_tty, monkeypatch, caplog):
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.0)
    with caplog.at_level(logging.INFO, logger="toonlab"):
        with Progress("epoch 1/2", total=4, unit="batch", summary=False) as bar:
            for _ in range(4):
                bar.set_postfix("loss 0.5")
                bar.update()
    assert lines(caplog) == ["epoch 1/2: 1/4 batch (25 %), 0s, ETA 0s, loss 0.5",
                             "epoch 1/2: 2/4 batch (50 %), 0s, ETA 0s, loss 0.5",
                             "epoch 1/2: 3/4 batch (75 %), 0s, ETA 0s, loss 0.5"]


def test_a_stream_that_is_no_sized_terminal_is_not_a_tty(monkeypatch, tmp_path):
    class Pretender:
        def isatty(self):
            return True

        def fileno(self):
            raise OSError("no descriptor")

    monkeypatch.setattr(sys, "stderr", Pretender())
    assert not progress.stderr_is_tty()
    with open(tmp_path / "log.txt", "w") as f:
        monkeypatch.setattr(sys, "stderr", f)
        assert not progress.stderr_is_tty()
