"""A real, throwaway PostgreSQL server for sweep tests, as the `postgres_url` and `postgres_db` fixtures.

The server is Debian's: found under /usr/lib/postgresql/<version>/bin (or on PATH) and, on a
fresh CI machine where we are root, installed with apt-get. If no server can be had, the tests
that need one are skipped with the reason. initdb refuses to run as root, so the cluster lives
in a temp folder owned by the `postgres` user and the server runs as that user, on a free port
of 127.0.0.1 with trust authentication. Teardown stops it and removes the folder.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest

from system_packages import apt_get, apt_install

TOOLS = ("initdb", "pg_ctl", "pg_isready")
DEBIAN_ROOT = Path("/usr/lib/postgresql")
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
SERVER_USER = "postgres"
START_TIMEOUT_S = 60
START_ATTEMPTS = 3
# Durability is pointless for a throwaway test cluster, and fsync is most of its cost.
SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


# --- finding or installing the server -------------------------------------------------------


def _version_key(bindir: Path) -> tuple[int, ...]:
    """Sort key for /usr/lib/postgresql/<version>/bin: '15' -> (15,), '9.6' -> (9, 6)."""
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


def find_tools(root: Path = DEBIAN_ROOT) -> dict[str, str] | None:
    """Paths of initdb, pg_ctl and pg_isready: the newest Debian version folder, else PATH, else None."""
    for bindir in sorted(root.glob("*/bin"), key=_version_key, reverse=True):
        if all((bindir / tool).is_file() for tool in TOOLS):
            return {tool: str(bindir / tool) for tool in TOOLS}
    found = {tool: shutil.which(tool) for tool in TOOLS}
    return found if all(found.values()) else None


@contextmanager
def _services_not_started() -> Iterator[None]:
    """Keep package scripts from starting services (the distribution's own cluster), via policy-rc.d.

    invoke-rc.d and deb-systemd-invoke ask /usr/sbin/policy-rc.d first; exit 101 means "not now".
    An existing policy is left alone; ours is removed again afterwards.
    """
    if POLICY_RC_D.exists():
        yield
        return
    POLICY_RC_D.write_text("#!/bin/sh\n# toonlab tests: installing PostgreSQL\nexit 101\n")
    POLICY_RC_D.chmod(0o755)
    try:
        yield
    finally:
        POLICY_RC_D.unlink(missing_ok=True)


_apt_get = apt_get  # looked up at call time, so tests can replace it


def install_postgresql() -> str | None:
    """Install Debian's `postgresql` package without starting its own cluster; return why it failed, or None."""
    with _services_not_started():
        return apt_install("postgresql", run=_apt_get)


def server_tools() -> dict[str, str]:
    """The server binaries, installing PostgreSQL if needed; pytest.skip with the reason if impossible."""
    tools = find_tools()
    if tools is not None:
        return tools
    failure = install_postgresql()
    if failure is not None:
        pytest.skip(f"PostgreSQL could not be installed: {failure}")
    tools = find_tools()
    if tools is None:
        where = f"under {DEBIAN_ROOT}/*/bin or on PATH"
        pytest.skip(f"PostgreSQL was installed, but {', '.join(TOOLS)} are still not {where}")
    return tools


# --- running a throwaway cluster ------------------------------------------------------------


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run initdb and the server as when we are root (created if missing)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/var/lib/postgresql",
             "--shell", "/usr/sbin/nologin", SERVER_USER],
            check=True, capture_output=True, text=True,
        )
        return pwd.getpwnam(SERVER_USER)


def _run(command: list[str], user: pwd.struct_passwd | None, **kwargs) -> subprocess.CompletedProcess:
    """Run a server command, as `user` if given, without PG* variables from our environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    if user is not None:
        kwargs.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
        env.update(HOME=user.pw_dir, USER=user.pw_name, LOGNAME=user.pw_name)
    return subprocess.run(command, check=False, env=env, capture_output=True, text=True, **kwargs)


def _fail(what: str, done: subprocess.CompletedProcess, log: Path | None = None) -> NoReturn:
    """Raise a RuntimeError for a failed server command, with its output and the server log."""
    details = (done.stdout + done.stderr).strip()
    if log is not None and log.exists():
        details += f"\n--- server log {log} ---\n{log.read_text(errors='replace')}"
    raise RuntimeError(f"{what} exited {done.returncode}:\n{details}")


def _init_cluster(tools: dict[str, str], data: Path, user: pwd.struct_passwd | None) -> None:
    """initdb a UTF8 cluster with superuser `postgres` and trust authentication."""
    command = [tools["initdb"], "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
               "--locale=C", "--no-sync"]
    done = _run(command, user, cwd=data.parent, timeout=120)
    if done.returncode != 0:
        _fail("initdb", done)


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(tools: dict[str, str], folder: Path, user: pwd.struct_passwd | None) -> int:
    """Start the server on a free port of 127.0.0.1 and return the port; retry if someone takes it."""
    log = folder / "server.log"
    for _ in range(START_ATTEMPTS):
        port = _free_port()
        options = f"-h 127.0.0.1 -p {port} -k {shlex.quote(str(folder))} {SERVER_OPTIONS}"
        command = [tools["pg_ctl"], "start", "-D", str(folder / "data"), "-l", str(log), "-w",
                   "-t", str(START_TIMEOUT_S), "-o", options]
        done = _run(command, user, cwd=folder, timeout=START_TIMEOUT_S + 10)
        if done.returncode == 0:
            return port
        if "already in use" not in log.read_text(errors="replace"):
            break
    _fail("pg_ctl start", done, log)


def _wait_until_ready(tools: dict[str, str], port: int, log: Path) -> None:
    """Poll pg_isready until the server accepts TCP connections, or raise with the server log."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        command = [tools["pg_isready"], "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-t", "2"]
        done = _run(command, None)
        if done.returncode == 0:
            return
        if time.monotonic() > deadline:
            _fail(f"pg_isready (still not accepting connections after {START_TIMEOUT_S} s)", done, log)
        time.sleep(0.1)


def _stop(tools: dict[str, str], folder: Path, user: pwd.struct_passwd | None) -> None:
    """Stop the server with pg_ctl's fast mode (roll back open transactions, disconnect clients)."""
    command = [tools["pg_ctl"], "stop", "-D", str(folder / "data"), "-m", "fast", "-w"]
    _run(command, user, cwd=folder, timeout=60)


@contextmanager
def running_server(tools: dict[str, str]) -> Iterator[int]:
    """Run a fresh cluster in a temp folder for the duration of the block; yield its port."""
    folder = Path(tempfile.mkdtemp(prefix="toonlab-pg-"))
    try:
        user = _server_user()
        if user is not None:
            os.chown(folder, user.pw_uid, user.pw_gid)
        _init_cluster(tools, folder / "data", user)
        port = _start(tools, folder, user)
        try:
            _wait_until_ready(tools, port, folder / "server.log")
            yield port
        finally:
            _stop(tools, folder, user)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def create_database(port: int, name: str) -> str:
    """Create an empty database on the server at `port`; return its SQLAlchemy/Optuna URL."""
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
    try:
        connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return f"postgresql://postgres@127.0.0.1:{port}/{name}"


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_port() -> Iterator[int]:
    """Port of a PostgreSQL server started for this test session (tests skip if none can be had)."""
    pytest.importorskip("psycopg2", reason="the PostgreSQL fixtures need psycopg2 (pip install -e '.[test]')")
    with running_server(server_tools()) as port:
        yield port


@pytest.fixture(scope="session")
def postgres_url(postgres_port: int) -> str:
    """URL of the session's shared database, postgresql://postgres@127.0.0.1:PORT/toonlab_test."""
    return create_database(postgres_port, "toonlab_test")


@pytest.fixture
def postgres_db(postgres_port: int) -> str:
    """URL of a new empty database `t_<random>` for this test alone (e.g. one Optuna study storage).

    It is not dropped afterwards: storages may still hold connections, and the whole
    cluster is deleted at the end of the session.
    """
    return create_database(postgres_port, f"t_{uuid.uuid4().hex[:12]}")
