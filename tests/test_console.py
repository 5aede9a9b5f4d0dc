"""The default stderr handler for library users who have not configured logging."""

from __future__ import annotations

import logging

import pytest

from toonlab.console import LOGGER, ensure_console


@pytest.fixture
def bare_logging(monkeypatch):
    """A function that removes every handler of the root and the toonlab logger (as in a plain script); the
    test calls it (pytest adds its own capture handler to the root logger between setup and the test)."""
    logger = logging.getLogger(LOGGER)
    level = logger.level

    def bare() -> logging.Logger:
        monkeypatch.setattr(logging.getLogger(), "handlers", [])
        monkeypatch.setattr(logger, "handlers", [])
        logger.setLevel(logging.NOTSET)
        return logger

    yield bare
    logger.setLevel(level)


def test_a_plain_script_sees_info_lines_on_stderr(bare_logging, capsys):
    logger = bare_logging()
    ensure_console()
    ensure_console()  # once is enough: no second handler
    assert len(logger.handlers) == 1
    logging.getLogger("toonlab.train").info("epoch 1/2  loss 0.5")
    logging.getLogger("toonlab.train").debug("not shown")
    assert capsys.readouterr().err == "epoch 1/2  loss 0.5\n"


def test_a_program_that_configures_logging_decides(bare_logging, capsys):
    logger = bare_logging()
    logging.getLogger().addHandler(logging.NullHandler())
    ensure_console()
    assert logger.handlers == []
    logging.getLogger("toonlab.train").info("hidden")
    assert capsys.readouterr().err == ""


def test_the_default_handler_steps_aside_once_logging_is_configured(bare_logging):
    logger = bare_logging()
    ensure_console()
    logging.getLogger().addHandler(logging.NullHandler())
    ensure_console()
    assert logger.handlers == [] and logger.level == logging.NOTSET
