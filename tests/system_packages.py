"""Debian packages for the tests that start real components (PostgreSQL, headless Chromium).

Test-suite only (on pytest's path through ``pythonpath`` in pyproject.toml): the installed toonlab
package never runs apt-get.
"""

from __future__ import annotations

APT_TIMEOUT_S = 900


def apt_get(*args: str) -> tuple[int, str]:
    """Run apt-get non-interactively (waiting up to 300 s for its lock); return its exit status and last line."""
    import os
    import subprocess

    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "-q", "-o", "DPkg::Lock::Timeout=300", *args]
    try:
        done = subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return -1, f"timed out after {APT_TIMEOUT_S} s"
    lines = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode, lines[-1] if lines else ""


def apt_install(package: str, *, run=apt_get) -> str | None:
    """Install a Debian package for tests that start a real component (PostgreSQL, Chromium).

    The plain install comes first; the package lists are refreshed (``apt-get update``) and the install
    retried only when it fails, as on a fresh machine with no or stale lists. ``run`` runs apt-get
    (replaceable in tests). Returns why it failed, or None when it worked.
    """
    import os
    import shutil

    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "installing it needs root and apt-get"
    install = ("install", "-y", "--no-install-recommends", package)
    status, last_line = run(*install)
    if status != 0:
        update_status, update_line = run("update")
        if update_status != 0:
            return f"apt-get update exited {update_status}: {update_line}"
        status, last_line = run(*install)
    return None if status == 0 else f"apt-get install {package} exited {status}: {last_line}"
