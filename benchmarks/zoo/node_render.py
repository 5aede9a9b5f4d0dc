"""Running ``render.mjs``: ``npm ci`` when node_modules is missing, one-shot queries, and job streams.

A job stream is split into contiguous shards, one ``node render.mjs COMMAND`` process per shard
reading JSON lines on stdin and answering one JSON line per job; answers come back in job order.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

ZOO = Path(__file__).resolve().parent
SCRIPT = ZOO / "render.mjs"


class RenderError(RuntimeError):
    """npm or node failed; the message names the command and ends with its error output."""


def ensure_node_modules() -> None:
    """Install the pinned packages with ``npm ci`` (exactly package-lock.json) if node_modules is missing."""
    if (ZOO / "node_modules").is_dir():
        return
    print("installing the pinned npm packages: npm ci in benchmarks/zoo", flush=True)
    _run(["npm", "ci", "--no-audit", "--no-fund"], "")


def query(*args: str) -> Any:
    """The JSON answer of ``node render.mjs ARGS...`` (e.g. ``schema micah``)."""
    return json.loads(_run(["node", str(SCRIPT), *args], ""))


def stream(command: str, jobs: list[dict[str, Any]], *, workers: int, progress: Callable[[int], None] | None = None,
           skip_crashes: bool = False) -> list[dict[str, Any]]:
    """Answers to ``jobs`` from ``node render.mjs COMMAND``, in job order, using ``workers`` processes.

    Args:
        command: ``dicebear`` or ``emoji``.
        jobs: JSON-serialisable job objects.
        workers: node processes run at once (each gets one contiguous shard).
        progress: called with the number of jobs answered so far, after each answer.
        skip_crashes: a job that kills node (resvg panics on a few SVGs) is answered
            ``{"error": ...}`` and a new process takes the rest of the shard; otherwise RenderError.
    """
    size = max(1, -(-len(jobs) // max(1, workers)))
    shards = [jobs[i:i + size] for i in range(0, len(jobs), size)]
    counter = _Counter(progress)
    with ThreadPoolExecutor(max_workers=len(shards) or 1) as pool:
        answers = list(pool.map(lambda shard: _run_shard(command, shard, counter, skip_crashes), shards))
    return [a for shard in answers for a in shard]


class _Counter:
    def __init__(self, callback: Callable[[int], None] | None) -> None:
        self.done, self.callback, self.lock = 0, callback, threading.Lock()

    def tick(self) -> None:
        with self.lock:
            self.done += 1
            if self.callback:
                self.callback(self.done)


def _run_shard(command: str, shard: list[dict[str, Any]], counter: _Counter,
               skip_crashes: bool) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    crashes_in_a_row = 0
    while len(answers) < len(shard):
        done, error = _run_process(command, shard[len(answers):], counter)
        answers += done
        crashes_in_a_row = 0 if done else crashes_in_a_row + 1
        if len(answers) < len(shard):
            if not skip_crashes or crashes_in_a_row >= 3:
                raise RenderError(f"node render.mjs {command} stopped after {len(answers)} of {len(shard)} jobs. "
                                  f"Job: {json.dumps(shard[len(answers)])}. Received: {error}")
            answers.append({"error": error.splitlines()[0] if error else "node stopped"})
            counter.tick()
    return answers


def _run_process(command: str, jobs: list[dict[str, Any]], counter: _Counter) -> tuple[list[dict[str, Any]], str]:
    """The answers one node process gave before it finished or died, and the end of its error output."""
    # Jobs and errors go through files, so neither pipe can fill up while answers are read.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as stdin, tempfile.TemporaryFile("w+") as errors:
        stdin.writelines(json.dumps(job) + "\n" for job in jobs)
        stdin.seek(0)
        with subprocess.Popen(["node", str(SCRIPT), command], cwd=ZOO, stdin=stdin, stdout=subprocess.PIPE,
                              stderr=errors, text=True) as proc:
            answers = []
            for line in proc.stdout:
                answers.append(json.loads(line))
                counter.tick()
        errors.seek(0)
        return answers, errors.read().strip()[-2000:]


def _run(cmd: list[str], stdin: str) -> str:
    try:
        done = subprocess.run(cmd, cwd=ZOO, input=stdin, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise RenderError(f"{cmd[0]!r} is not installed; the zoo needs node 20 and npm. Received: {cmd}") from None
    if done.returncode:
        raise RenderError(f"{' '.join(cmd)} failed (exit code {done.returncode}) in {ZOO}. "
                          f"Received: {done.stderr.strip()[-2000:]}")
    return done.stdout
