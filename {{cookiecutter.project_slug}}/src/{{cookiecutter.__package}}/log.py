"""Logs go to stdout, one JSON object a line unless debug; every record carries the request id."""

import logging
import sys

from flask import g, has_app_context
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

JSON_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
JSON_RENAMED = {"levelname": "level", "asctime": "time"}
READABLE_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamps the current request id (or None outside a request) on each record."""

    def filter(self, record):
        record.request_id = g.get("request_id") if has_app_context() else None
        return True


class ServiceHandler(logging.StreamHandler):
    """Marks the handler this module installs, so a second create_app replaces it."""


def json_formatter():
    """The JSON shape of every log line; gunicorn.conf.py uses it for gunicorn's own logs."""
    return JsonFormatter(JSON_FORMAT, rename_fields=JSON_RENAMED)


def make_formatter(debug):
    if debug:
        return logging.Formatter(READABLE_FORMAT)
    return json_formatter()


def init_logging(app):
    handler = ServiceHandler(sys.stdout)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(make_formatter(app.debug))
    logger = app.logger
    for old in list(logger.handlers):
        if old is default_handler or isinstance(old, ServiceHandler):
            logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(app.config["LOG_LEVEL"])
    logger.propagate = False
