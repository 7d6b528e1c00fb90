"""The baseline: bare Flask answering the same JSON as a rendered service's /healthz and /."""

import importlib
import os

from flask import Flask

# The bench's "libs" side: the same bare app, with the libraries of a rendered service loaded,
# so that their cost can be told from the template's own.
for _module in os.environ.get("BENCH_BARE_IMPORTS", "").split():
    importlib.import_module(_module)


def create_app():
    app = Flask(__name__)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/")
    def index():
        return {"service": "Bare Flask", "version": "0.1.0"}

    return app
