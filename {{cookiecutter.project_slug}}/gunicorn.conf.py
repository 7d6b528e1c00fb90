"""gunicorn settings: run `gunicorn` in this folder to serve the app."""

{% if cookiecutter.use_metrics -%}
import atexit
{% endif -%}
import gc
import os
{%- if cookiecutter.use_metrics %}
import shutil
import tempfile
{%- endif %}
{%- if cookiecutter.use_metrics %}
from pathlib import Path
{%- endif %}

wsgi_app = "{{ cookiecutter.__package }}:create_app()"
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1) + 1, 8)))
# Threads, so that a view waiting on another service (or a database) holds one thread, not a
# whole worker: with 16 a worker serves about 16 such requests at once (the template's
# benchmark measures it). A worker takes at most worker_connections clients at a time; an idle
# keep-alive connection waits in its poller and holds no thread.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 16))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 1000))
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
    """Leave the preloaded app out of the workers' garbage collections, and hold the signals a
    booting worker would lose.

    Otherwise a worker's full collection walks every object of every module imported before the
    fork (tens of milliseconds with all options on, a latency spike for the requests waiting)
    and writes to pages the workers could have kept shared. And a SIGTERM that reaches a worker
    before it has its handlers (a stop while workers boot or are replaced) would be lost: the
    worker would serve on until the master kills it at graceful_timeout.
    """
    from {{ cookiecutter.__package }}.gunicorn_hooks import hold_worker_signals

    gc.freeze()
    hold_worker_signals()


def post_worker_init(worker):
    """The worker's own handlers are in: a signal held since the fork is handled now."""
    from {{ cookiecutter.__package }}.gunicorn_hooks import release_worker_signals

    release_worker_signals()


# Access and error logs go to stdout as JSON lines of the same shape as the service's own logs
# (time, level, name, message, request_id); access lines add method, path, query, status, bytes,
# duration_ms and remote_addr as fields of their own.
accesslog = "-"
errorlog = "-"
access_log_format = "%(m)s %(U)s %(s)s"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "{{ cookiecutter.__package }}.log.json_formatter"}},
    "filters": {
        "fields": {"()": "{{ cookiecutter.__package }}.gunicorn_hooks.AccessLogFields"},
        # Lines that other libraries log during a request carry that request's id.
        "request_id": {"()": "{{ cookiecutter.__package }}.log.RequestIdFilter"},
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                   "formatter": "json", "filters": ["request_id"]},
        "access": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                   "formatter": "json", "filters": ["fields"]},
    },
    "loggers": {
        "gunicorn.error": {"level": os.environ.get("GUNICORN_LOG_LEVEL", "INFO"),
                           "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
    "root": {"level": "WARNING", "handlers": ["stdout"]},
}
{%- if cookiecutter.use_metrics %}


def remove_in_master(made, master_pid):
    """A metrics directory made for this server goes with it, however the master exits (gunicorn
    runs no on_exit when the app fails to load); the workers, which exit through this too, leave
    it."""
    if os.getpid() == master_pid:
        shutil.rmtree(made, ignore_errors=True)


# Metrics under several workers: each worker writes its samples to files in one directory, and
# /metrics adds them up. The variable must be set before prometheus_client is imported, which
# preload_app does right after reading this file. gunicorn reads this file again on HUP (a
# reload): the directory stays the same, and only a starting master empties it.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    made = tempfile.mkdtemp(prefix="{{ cookiecutter.__package }}-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    atexit.register(remove_in_master, made, os.getpid())
metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
metrics_dir.mkdir(parents=True, exist_ok=True)
{%- endif %}


def on_starting(server):
    """Once, before the first workers start: requests gunicorn refuses itself get problem+json
{%- if cookiecutter.use_metrics %}, and
    the samples of an earlier server leave the metrics directory
{%- endif %}."""
    # Imported when gunicorn starts, not when it reads this file: what the package imports
    # must see the environment this file sets up.
    from {{ cookiecutter.__package }}.gunicorn_hooks import install_problem_answers

    install_problem_answers()
{%- if cookiecutter.use_metrics %}
    for stale in metrics_dir.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    """Mark a dead worker so that its live gauges leave /metrics; its counters stay counted."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
{%- endif %}
