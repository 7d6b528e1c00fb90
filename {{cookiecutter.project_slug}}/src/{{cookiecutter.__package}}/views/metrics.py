"""GET /metrics: what metrics.py counted, in the Prometheus text format."""

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST

from ..metrics import EXTENSION

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    body = current_app.extensions[EXTENSION].exposition()
    return Response(body, content_type=CONTENT_TYPE_LATEST)
