"""The baseline: bare Flask answering the same JSON as a rendered service's /healthz and /."""

from flask import Flask


def create_app():
    app = Flask(__name__)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/")
    def index():
        return {"service": "Bare Flask", "version": "0.1.0"}

    return app
