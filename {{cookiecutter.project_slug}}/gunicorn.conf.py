"""gunicorn settings: run `gunicorn` in this folder to serve the app."""

import os

wsgi_app = "{{ cookiecutter.__package }}:create_app()"
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1) + 1, 8)))
# Build the app once in the master: a missing setting stops startup with one line,
# and workers share the imported code.
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5
accesslog = "-"
errorlog = "-"
