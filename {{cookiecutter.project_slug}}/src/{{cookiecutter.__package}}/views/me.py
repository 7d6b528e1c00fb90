"""GET /me: who the bearer token speaks for; an example of a view guarded by require_scopes."""

from flask import Blueprint, g

from ..auth import require_scopes, token_scopes

bp = Blueprint("me", __name__)


@bp.get("/me")
@require_scopes("profile")
def me():
    return {"subject": g.jwt_claims["sub"], "scopes": sorted(token_scopes(g.jwt_claims))}
