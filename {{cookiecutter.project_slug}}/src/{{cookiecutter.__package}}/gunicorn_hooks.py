"""The one module that reaches into gunicorn: its access log lines as JSON fields, its own
answers to requests it refuses before the app sees them as problem+json, and the signals a
worker must not miss while it boots.

gunicorn.conf.py installs them. tests/test_gunicorn_hooks.py runs them against the installed
gunicorn and fails, naming the gunicorn function, when a release changes what they rely on.
"""

import inspect
import json
import logging
import os
import secrets
import signal

from gunicorn import util

# gunicorn.util.write_error, which gunicorn calls to answer a request it refuses itself.
ERROR_WRITER_PARAMETERS = ("sock", "status_int", "reason", "mesg")
# The atoms gunicorn.glogging.Logger.atoms gives an access log record, and their JSON fields.
ACCESS_FIELDS = {"h": "remote_addr", "m": "method", "U": "path", "q": "query", "s": "status",
                 "B": "bytes", "D": "duration_ms", "{x-request-id}o": "request_id"}


class GunicornChanged(RuntimeError):
    """The installed gunicorn no longer has what this module relies on."""


def write_problem(sock, status_int, reason, mesg):
    """Answer as the app would: problem+json with a request id."""
    request_id = secrets.token_hex(16)
    body = json.dumps({"type": "about:blank", "title": reason, "status": status_int,
                       "detail": mesg, "request_id": request_id}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n"
            f"X-Request-ID: {request_id}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install_problem_answers():
    parameters = tuple(inspect.signature(util.write_error).parameters)
    if parameters != ERROR_WRITER_PARAMETERS:
        raise GunicornChanged(
            f"gunicorn.util.write_error takes {parameters}, not {ERROR_WRITER_PARAMETERS}: "
            "update write_problem in gunicorn_hooks.py")
    util.write_error = write_problem


# What the master sends a worker: stop (TERM), stop now (INT, QUIT), reopen logs (USR1), timed
# out (ABRT). A forked worker runs the master's handlers, which queue a signal for the master,
# until gunicorn's Worker.init_process installs its own: one arriving meanwhile is lost, and the
# worker serves on until the master kills it at graceful_timeout. Blocked from just before fork
# until the worker's handlers are in, such a signal waits and is then handled.
WORKER_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1,
                            signal.SIGABRT})
_released_after_fork = False


def hold_worker_signals():
    """In the master just before it forks a worker (pre_fork); the master gets them back as soon
    as fork returns, the worker in release_worker_signals (post_worker_init)."""
    global _released_after_fork
    if not _released_after_fork:  # once a process: this module outlives a reload (HUP)
        os.register_at_fork(after_in_parent=release_worker_signals)
        _released_after_fork = True
    signal.pthread_sigmask(signal.SIG_BLOCK, WORKER_SIGNALS)


def release_worker_signals():
    signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKER_SIGNALS)


class AccessLogFields(logging.Filter):
    """Puts the method, path, status, bytes, duration and request id of gunicorn's access log
    records in fields of their own."""

    def filter(self, record):
        atoms = record.args if isinstance(record.args, dict) else {}
        for atom, field in ACCESS_FIELDS.items():
            setattr(record, field, atoms.get(atom))
        if record.status is not None:
            record.status = int(str(record.status).split()[0])
        if record.duration_ms is not None:
            record.duration_ms = record.duration_ms / 1000  # gunicorn gives microseconds
        return True
