"""JWT bearer tokens issued elsewhere, verified here; ``require_scopes`` guards a view.

A token is accepted when its signature verifies with the configured public key (or the key
its ``kid`` names in the JWKS document), its algorithm is in JWT_ALGORITHMS, its ``exp``,
``iss``, ``aud`` and ``sub`` claims are present and right, and ``nbf`` (when given) has passed,
with JWT_LEEWAY seconds of clock skew. Health and readiness stay open: only views wrapped by
``require_scopes`` check tokens.
"""

import functools
import re

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import current_app, g, request

from .config import SETTINGS_VARIABLE, ConfigError
from .dev_tokens import NoDevelopmentKey, dev_token_command, use_development_key
from .errors import problem

EXTENSION = "jwt_key_source"
# Only public-key algorithms: a service that verifies tokens must never hold a signing secret.
ASYMMETRIC_ALGORITHMS = frozenset({
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
})
REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]
# Characters RFC 6750 allows in a quoted error_description.
UNQUOTABLE = re.compile(r'[^\x20\x21\x23-\x5b\x5d-\x7e]')


class NoKeyConfigured(jwt.InvalidKeyError):
    """Neither JWT_PUBLIC_KEY nor JWT_JWKS_URL is set (allowed only in debug and testing)."""


def init_auth(app):
    """Check the JWT settings once at startup and keep the key source on the app."""
    check_algorithms(app.config["JWT_ALGORITHMS"])
    app.extensions[EXTENSION] = key_source(app)
    app.cli.add_command(dev_token_command)


def check_algorithms(algorithms):
    unsafe = sorted(set(algorithms) - ASYMMETRIC_ALGORITHMS)
    if unsafe or not algorithms:
        raise ConfigError(
            f"JWT_ALGORITHMS may only list public-key algorithms such as RS256 or ES256, "
            f"got {', '.join(unsafe) or 'an empty list'}"
        )


def key_source(app):
    """A PEM public key from the config, or a caching JWKS client; exactly one of them."""
    public_key, jwks_url = app.config["JWT_PUBLIC_KEY"], app.config["JWT_JWKS_URL"]
    if public_key and jwks_url:
        raise ConfigError("set JWT_PUBLIC_KEY or JWT_JWKS_URL, not both")
    if public_key:
        try:
            load_pem_public_key(public_key.encode())
        except ValueError:
            raise ConfigError("JWT_PUBLIC_KEY is not a PEM public key (-----BEGIN PUBLIC KEY-----)")
        return StaticKey(public_key)
    if jwks_url:
        return jwt.PyJWKClient(jwks_url, cache_jwk_set=True, timeout=5,
                               lifespan=app.config["JWT_JWKS_CACHE_SECONDS"])
    if app.debug:
        return use_development_key(app)
    if app.testing:
        return StaticKey(None)
    raise ConfigError(
        "JWT_PUBLIC_KEY or JWT_JWKS_URL is required in production: set FLASK_JWT_PUBLIC_KEY "
        f"or FLASK_JWT_JWKS_URL, or one of them in the file named by {SETTINGS_VARIABLE}"
    )


class StaticKey:
    """The interface of PyJWKClient for the one key given in the configuration."""

    def __init__(self, pem):
        self.pem = pem

    def get_signing_key_from_jwt(self, token):
        if self.pem is None:
            raise NoKeyConfigured("no JWT_PUBLIC_KEY or JWT_JWKS_URL is configured")
        return self.pem


def verify(token):
    """The token's claims, or a jwt.PyJWTError saying why it is refused."""
    config = current_app.config
    # A PyJWK from the JWKS is bound to one algorithm; PyJWT checks a PEM key's type per algorithm.
    key = current_app.extensions[EXTENSION].get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key,
        algorithms=config["JWT_ALGORITHMS"],
        audience=config["JWT_AUDIENCE"],
        issuer=config["JWT_ISSUER"],
        leeway=config["JWT_LEEWAY"],
        options={"require": REQUIRED_CLAIMS},
    )
    if not isinstance(claims["sub"], str) or not claims["sub"].strip():
        raise jwt.InvalidTokenError('the token\'s "sub" claim names no subject')
    return claims


def token_scopes(claims):
    """Scopes from ``scope`` (a space-separated string) or ``scp`` (a list)."""
    scopes = claims.get("scope", claims.get("scp"))
    if isinstance(scopes, str):
        return set(scopes.split())
    if isinstance(scopes, list):
        return {scope for scope in scopes if isinstance(scope, str)}
    return set()


def describe(error):
    # A malformed token's message quotes the decoder, not the client; a bad signature's is fine.
    if isinstance(error, jwt.DecodeError) and not isinstance(error, jwt.InvalidSignatureError):
        return "the token is not a well-formed JWT (header.payload.signature, base64url JSON)"
    if isinstance(error, (jwt.InvalidTokenError, NoKeyConfigured, NoDevelopmentKey)):
        return str(error)
    return "the token's signing key is unknown or does not fit its algorithm"


def bearer_token():
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def unauthorized(detail, error=None):
    challenge = "Bearer"
    if error:
        # RFC 6750, section 3: the scheme, a space, then comma-separated parameters.
        challenge += f' error="{error}", error_description="{UNQUOTABLE.sub("", detail)}"'
    return problem(401, "Unauthorized", detail, {"WWW-Authenticate": challenge})


def require_scopes(*scopes):
    """Let the view run only for a valid bearer token that grants every one of ``scopes``.

    The verified claims are in ``flask.g.jwt_claims`` while the view runs.
    """

    def decorator(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            token = bearer_token()
            if not token:
                return unauthorized("a bearer token is required")
            try:
                claims = verify(token)
            except jwt.PyJWKClientConnectionError as error:
                current_app.logger.warning("JWKS cannot be fetched: %s",
                                           " ".join(str(error).split()))
                return problem(503, "Service Unavailable", "token signing keys are unavailable")
            except jwt.PyJWTError as error:
                return unauthorized(describe(error), "invalid_token")
            missing = sorted(set(scopes) - token_scopes(claims))
            if missing:
                return problem(
                    403, "Forbidden", f"the token lacks the scope {' '.join(missing)}",
                    {"WWW-Authenticate": f'Bearer error="insufficient_scope", '
                                         f'scope="{" ".join(scopes)}"'})
            g.jwt_claims = claims
            return view(*args, **kwargs)

        guarded.required_scopes = scopes  # what the view requires, for code that looks at views
        return guarded

    return decorator
