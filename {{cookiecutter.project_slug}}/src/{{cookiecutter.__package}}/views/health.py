"""Liveness (/healthz) and readiness (/readyz, runs the registered dependency checks)."""

from flask import Blueprint, current_app

from ..errors import problem
from ..readiness import failed_check

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    failed = failed_check(current_app)
    if failed is not None:
        return problem(503, "Service Unavailable", f"dependency not ready: {failed}", check=failed)
    return {"status": "ready"}
