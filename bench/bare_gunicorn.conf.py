"""gunicorn settings for the bare Flask baseline: those of the template's gunicorn.conf.py.

Same bind, worker count and class, preload, timeouts, keep-alive and gc.freeze() before each
fork; the access log is the same format, written as one JSON line a request by
python-json-logger, without request ids.
"""

import gc
import os

wsgi_app = "bare_app:create_app()"
pythonpath = os.path.dirname(os.path.abspath(__file__))
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1) + 1, 8)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 16))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 1000))
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5
control_socket_disable = True


def pre_fork(server, worker):
    gc.freeze()


accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
JSON = {"()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"levelname": "level", "asctime": "time"}}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": JSON},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                   "formatter": "json"},
    },
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
    "root": {"level": "WARNING", "handlers": ["stdout"]},
}
