"""Prometheus metrics: requests and their latency by method, route template and status.

views/metrics.py serves them at GET /metrics. Under gunicorn (PROMETHEUS_MULTIPROC_DIR set
by gunicorn.conf.py) every worker writes its own files and /metrics adds up all of them.
"""

import os
import struct
import time

from flask import current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from werkzeug.exceptions import ServiceUnavailable

EXTENSION = "metrics"
LABELS = ("method", "route", "status")
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Requests that match no route are labelled with this, never with their raw path.
UNMATCHED = "<unmatched>"
# A worker's metrics file exists empty for an instant while it is created; a scrape that meets
# it fails to parse it (prometheus/client_python#1199), so it is read again a moment later.
READ_ATTEMPTS = 3
READ_RETRY_SECONDS = 0.01


class Metrics:
    """The metrics of one app, in a registry of its own."""

    def __init__(self, ignored_routes=()):
        self.ignored_routes = frozenset(ignored_routes)
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("http_requests", "HTTP requests answered", LABELS,
                                registry=self.registry)
        self.latency = Histogram("http_request_duration_seconds", "Time to answer a request",
                                 LABELS, registry=self.registry)
        # labels() validates and locks on every call; the children it returns never change.
        self.children = {}

    def observe(self, labels, seconds):
        children = self.children.get(labels)
        if children is None:
            children = (self.requests.labels(*labels), self.latency.labels(*labels))
            self.children[labels] = children
        requests, latency = children
        requests.inc()
        latency.observe(seconds)

    def exposition(self):
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        for attempt in range(READ_ATTEMPTS):
            try:
                return generate_latest(registry)
            except (struct.error, RuntimeError):
                time.sleep(READ_RETRY_SECONDS * (attempt + 1))
        raise ServiceUnavailable("the workers' metrics files could not be read; try again")


def start_timer():
    g.metrics_started = time.perf_counter()


def observe_request(response):
    finished = time.perf_counter()
    metrics = current_app.extensions[EXTENSION]
    rule = request.url_rule
    route = rule.rule if rule else UNMATCHED
    if route in metrics.ignored_routes:
        return response
    method = request.method
    labels = (method if method in KNOWN_METHODS else "OTHER", route, str(response.status_code))
    metrics.observe(labels, finished - g.get("metrics_started", finished))
    return response


def init_metrics(app):
    app.extensions[EXTENSION] = Metrics(app.config["METRICS_IGNORED_ROUTES"])
    app.before_request(start_timer)
    app.after_request(observe_request)
