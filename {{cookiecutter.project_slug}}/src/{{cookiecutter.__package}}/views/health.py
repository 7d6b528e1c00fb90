"""Liveness (/healthz) and readiness (/readyz, runs the registered dependency checks)."""

from flask import Blueprint, current_app

from ..errors import problem
from ..readiness import failed_checks

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    failed = failed_checks(current_app._get_current_object())  # the checks run in threads
    if failed:
        return problem(503, "Service Unavailable", f"not ready: {', '.join(failed)}",
                       check=failed[0])
    return {"status": "ready"}
