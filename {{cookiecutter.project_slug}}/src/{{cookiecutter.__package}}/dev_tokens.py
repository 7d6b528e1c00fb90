"""Tokens for trying the service on a laptop: `flask dev-token --scope profile` prints one.

In debug (FLASK_DEBUG=1) and with no JWT_PUBLIC_KEY or JWT_JWKS_URL, the service trusts a
development key that the command makes in the instance folder, and tokens from a development
issuer. Anywhere else the command refuses, and the key is never trusted: production trusts only
the keys of the identity provider its settings name.
"""

import os
import time
from pathlib import Path

import click
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from flask.cli import with_appcontext

KEY_FILE = "dev-jwt-key.pem"
ISSUER = "urn:{{ cookiecutter.__k8s_name }}:development"
AUDIENCE = ISSUER


class NoDevelopmentKey(jwt.InvalidKeyError):
    """A debug service without a configured key, before `flask dev-token` made one."""


class DevelopmentKey:
    """The interface of PyJWKClient for the development key, read when a token comes."""

    def __init__(self, path):
        self.path = Path(path)

    def get_signing_key_from_jwt(self, token):
        if not self.path.is_file():
            raise NoDevelopmentKey("no JWT_PUBLIC_KEY or JWT_JWKS_URL is configured; in debug, "
                                   "`flask dev-token` makes a development key and a token")
        return load_private_key(self.path).public_key()


def use_development_key(app):
    """The key source of a debug app without a configured key; the development issuer."""
    app.config["JWT_ISSUER"] = app.config["JWT_ISSUER"] or ISSUER
    app.config["JWT_AUDIENCE"] = app.config["JWT_AUDIENCE"] or AUDIENCE
    return DevelopmentKey(Path(app.instance_path, KEY_FILE))


def load_private_key(path):
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def development_key(path):
    """The development signing key, made (readable by its owner only) when it is missing."""
    if path.is_file():
        return load_private_key(path)
    key = ec.generate_private_key(ec.SECP256R1())
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(pem)
    return key


@click.command("dev-token")
@click.option("--scope", "scopes", multiple=True, help="A scope to grant; repeat for more.")
@click.option("--subject", default="developer", show_default=True, help="The token's sub.")
@click.option("--minutes", default=60, show_default=True, type=click.IntRange(1, 24 * 60))
@with_appcontext
def dev_token_command(scopes, subject, minutes):
    """Print a bearer token signed with the development key (debug only)."""
    from .auth import EXTENSION

    app = current_app
    if not subject.strip():
        raise click.BadParameter("must name a subject", param_hint="--subject")
    if not isinstance(app.extensions[EXTENSION], DevelopmentKey):
        raise click.UsageError(
            "dev-token works only in debug (FLASK_DEBUG=1) and without JWT_PUBLIC_KEY or "
            "JWT_JWKS_URL: anywhere else, tokens come from your identity provider")
    key = development_key(Path(app.instance_path, KEY_FILE))
    now = int(time.time())
    claims = {"iss": app.config["JWT_ISSUER"], "aud": app.config["JWT_AUDIENCE"], "sub": subject,
              "iat": now, "exp": now + 60 * minutes, "scope": " ".join(scopes)}
    click.echo(jwt.encode(claims, key, algorithm="ES256"))
