"""Servers the tests start for real: free ports on 127.0.0.1, process groups stopped for sure."""

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path


# This suite's own tox, pytest and coverage variables, and the developer's FLASK_* settings: a
# tool run on a rendered project as its user would run it must see none of them.
SUITE_VARIABLES = ("TOX_", "PYTEST_", "COV_CORE_", "FLASK_", "VIRTUAL_ENV", "PYTHONPATH",
                   "PYTHONHOME")


def clean_environment(**extra):
    """The caller's environment as a fresh shell has it, plus ``extra``."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(SUITE_VARIABLES)}
    env.update(extra)
    return env


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepts_connections(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def start_server(command, log, ready, what, seconds, **popen):
    """``command`` in a process group of its own, its output in ``log``, once ``ready()``; the
    test fails, with the log, when it exits first or is not ready within ``seconds``."""
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, **popen)
    deadline = time.monotonic() + seconds
    try:
        while not ready():
            output = log.read_text(encoding="utf-8", errors="replace")[-4000:]
            assert process.poll() is None, f"{what} exited early:\n{output}"
            assert time.monotonic() < deadline, f"{what} not ready after {seconds} s:\n{output}"
            time.sleep(0.1)
    except BaseException:
        stop_process_group(process)
        raise
    return process


def stop_process_group(process, grace_seconds=40):
    """SIGTERM the group, then SIGKILL whatever is left of it (gunicorn workers, a reloader's
    child); the leader's exit code after SIGTERM, or None when it needed SIGKILL."""
    code = None
    try:
        os.killpg(process.pid, signal.SIGTERM)
        code = process.wait(timeout=grace_seconds)
    except ProcessLookupError:
        code = process.poll()
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)
    return code


SLOW_CLIENTS = Path(__file__).resolve().parent.parent / "bench" / "slow_clients.py"
# 200 connections trickling their headers for 5 seconds, with ordinary traffic: its arguments.
SLOW_CLIENTS_ARGUMENTS = ("--slow", "200", "--seconds", "5", "--json")


def assert_answering_under_slow_clients(output):
    """What bench/slow_clients.py printed: every slow client connected, no ordinary request
    failed, every /healthz answered within a second."""
    result = json.loads(output)
    assert result["connected"] == 200, result
    assert result["normal_sent"] > 0 and result["normal_failed"] == 0, result
    assert result["health_answered"] == result["health_asked"] > 0, (
        f"/healthz not always answered within a second: {result}")
