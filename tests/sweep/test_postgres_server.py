"""The PostgreSQL fixtures: a real server answers, Optuna stores studies in it, and a missing server is installed or skipped."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from types import ModuleType

import pytest

FAKE_TOOLS = {"initdb": "/x/initdb", "pg_ctl": "/x/pg_ctl", "pg_isready": "/x/pg_isready"}


@pytest.fixture
def pg() -> ModuleType:
    """A private copy of this folder's conftest, so its helpers can be called and patched directly."""
    spec = importlib.util.spec_from_file_location("_sweep_conftest_copy", Path(__file__).with_name("conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the real server ------------------------------------------------------------------------


def test_server_answers_select_1(postgres_url):
    import psycopg2

    with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT 1, current_database()")
        assert cursor.fetchone() == (1, "toonlab_test")
    connection.close()


def _round_trip(url: str) -> list[tuple]:
    """Store a study with one trial through one Optuna storage object; read it back through another."""
    import optuna

    study = optuna.create_study(study_name="round_trip", storage=optuna.storages.RDBStorage(url), direction="maximize")
    lr = optuna.distributions.FloatDistribution(1e-4, 1.0, log=True)
    study.add_trial(optuna.create_trial(params={"lr": 0.01}, distributions={"lr": lr}, value=0.75))
    loaded = optuna.load_study(study_name="round_trip", storage=optuna.storages.RDBStorage(url))
    return [(t.params, t.value, t.state.name) for t in loaded.trials]


def test_optuna_study_round_trips_through_a_fresh_database(postgres_db):
    url = postgres_db.replace("postgresql://", "postgresql+psycopg2://", 1)
    assert _round_trip(url) == [({"lr": 0.01}, 0.75, "COMPLETE")]


def test_optuna_accepts_the_plain_postgresql_url(postgres_db):
    assert _round_trip(postgres_db) == [({"lr": 0.01}, 0.75, "COMPLETE")]


def test_each_postgres_db_starts_empty(postgres_db, postgres_url):
    import psycopg2

    assert postgres_db != postgres_url
    with psycopg2.connect(postgres_db) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        assert cursor.fetchone() == (0,)
    connection.close()


# --- finding and installing the server, with the system faked ---------------------------------


def _fake_bindir(root: Path, version: str, tools=("initdb", "pg_ctl", "pg_isready")) -> None:
    (root / version / "bin").mkdir(parents=True)
    for tool in tools:
        (root / version / "bin" / tool).touch()


def test_find_tools_prefers_the_newest_complete_debian_version(pg, tmp_path):
    _fake_bindir(tmp_path, "9.6")
    _fake_bindir(tmp_path, "15")
    _fake_bindir(tmp_path, "16", tools=("pg_isready",))  # a client-only install
    assert pg.find_tools(tmp_path)["initdb"] == str(tmp_path / "15" / "bin" / "initdb")


def test_find_tools_falls_back_to_path_then_none(pg, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert pg.find_tools(tmp_path) is None
    _fake_bindir(tmp_path, "local")
    for tool in pg.TOOLS:
        (tmp_path / "local" / "bin" / tool).chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "local" / "bin"))
    assert pg.find_tools(tmp_path / "no-debian") == {t: str(tmp_path / "local" / "bin" / t) for t in pg.TOOLS}


def test_missing_server_is_installed_then_found(pg, monkeypatch):
    lookups = iter([None, FAKE_TOOLS])
    monkeypatch.setattr(pg, "find_tools", lambda: next(lookups))
    installs = []
    monkeypatch.setattr(pg, "install_postgresql", lambda: installs.append(1))
    assert pg.server_tools() == FAKE_TOOLS
    assert installs == [1]


def _as_root_with_apt(pg, monkeypatch, tmp_path, outcomes):
    """Pretend to be root with apt-get; apt-get calls answer from `outcomes` and are recorded."""
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(pg, "POLICY_RC_D", tmp_path / "policy-rc.d")
    monkeypatch.setattr(pg, "find_tools", lambda: None)
    calls = []

    def fake_apt_get(*args):
        calls.append((args[0], pg.POLICY_RC_D.exists()))
        return outcomes[len(calls) - 1]

    monkeypatch.setattr(pg, "_apt_get", fake_apt_get)
    return calls


def test_failed_install_refreshes_lists_once_then_skips_with_the_reason(pg, monkeypatch, tmp_path):
    missing = (100, "E: Unable to locate package postgresql")
    calls = _as_root_with_apt(pg, monkeypatch, tmp_path, [missing, (0, "Done"), missing])
    reason = "PostgreSQL could not be installed: apt-get install postgresql exited 100: E: Unable to locate"
    with pytest.raises(pytest.skip.Exception, match=reason):
        pg.server_tools()
    # Services were blocked through every apt-get call, and the temporary policy is gone again.
    assert calls == [("install", True), ("update", True), ("install", True)]
    assert not pg.POLICY_RC_D.exists()


def test_install_that_works_first_time_does_not_update(pg, monkeypatch, tmp_path):
    calls = _as_root_with_apt(pg, monkeypatch, tmp_path, [(0, "Setting up postgresql ...")])
    assert pg.install_postgresql() is None
    assert calls == [("install", True)]


def test_without_root_nothing_is_installed_and_tests_skip(pg, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(pg, "find_tools", lambda: None)
    with pytest.raises(pytest.skip.Exception, match="installing it needs root and apt-get"):
        pg.server_tools()
