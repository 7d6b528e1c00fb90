"""gunicorn settings: run `gunicorn` in this folder to serve the app."""

import gc
import json
import os
import secrets
{%- if cookiecutter.use_metrics %}
import tempfile
{%- endif %}
{%- if cookiecutter.use_metrics %}
from pathlib import Path
{%- endif %}

wsgi_app = "{{ cookiecutter.__package }}:create_app()"
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1) + 1, 8)))
# Build the app once in the master: a missing setting stops startup with one line,
# and workers share the imported code.
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5
# Recent gunicorn opens a control socket under $HOME: read-only in a container, and shared by
# every service of one user on a host. Nothing here uses it.
control_socket_disable = True


def pre_fork(server, worker):
    """Leave the preloaded app out of the workers' garbage collections.

    Otherwise a worker's full collection walks every object of every module imported before the
    fork (tens of milliseconds with all options on, a latency spike for the requests waiting)
    and writes to pages the workers could have kept shared.
    """
    gc.freeze()


# Access and error logs go to stdout as JSON lines of the same shape as the service's own logs
# (time, level, name, message, request_id); access lines carry the response's X-Request-ID.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "{{ cookiecutter.__package }}.log.json_formatter"}},
    "filters": {
        "request_id": {"()": "{{ cookiecutter.__package }}.log.AccessLogRequestIdFilter"},
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                   "formatter": "json"},
        "access": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                   "formatter": "json", "filters": ["request_id"]},
    },
    "loggers": {
        "gunicorn.error": {"level": os.environ.get("GUNICORN_LOG_LEVEL", "INFO"),
                           "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
    "root": {"level": "WARNING", "handlers": ["stdout"]},
}


def write_problem(sock, status_int, reason, mesg):
    """gunicorn's own answer to a request it refuses before the app sees it (a malformed request
    line or header, a URI or headers too long): problem+json with a request id, like the app's."""
    from gunicorn import util

    request_id = secrets.token_hex(16)
    body = json.dumps({"type": "about:blank", "title": reason, "status": status_int,
                       "detail": mesg, "request_id": request_id}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n"
            f"X-Request-ID: {request_id}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


def on_starting(server):
    """Before the workers start: they write their error responses with write_problem."""
    from gunicorn import util

    util.write_error = write_problem
{%- if cookiecutter.use_metrics %}


# Metrics under several workers: each worker writes its samples to files in one directory, emptied
# here at start, and /metrics adds them up. The variable must be set before prometheus_client is
# imported, which preload_app does right after reading this file.
metrics_dir = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR")
                   or tempfile.mkdtemp(prefix="{{ cookiecutter.__package }}-metrics-"))
metrics_dir.mkdir(parents=True, exist_ok=True)
for stale in metrics_dir.glob("*.db"):
    stale.unlink()
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)


def child_exit(server, worker):
    """Mark a dead worker so that its live gauges leave /metrics; its counters stay counted."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
{%- endif %}
