import json
import secrets
from pathlib import Path

import pytest

TEMPLATE = Path(__file__).resolve().parent.parent
COOKIECUTTER_JSON = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))


def bake_ok(cookies, **answers):
    """Render with pytest-cookies and return the project folder, failing on any error."""
    result = cookies.bake(extra_context=answers, template=str(TEMPLATE))
    assert result.exception is None, f"{answers}: {result.exception!r}"
    assert result.exit_code == 0
    return Path(result.project_path)


@pytest.fixture(scope="session")
def default_project(cookies_session):
    return bake_ok(cookies_session)


def production_env(answers):
    """The settings a production start needs with these answers, none of them a real secret."""
    env = {}
    if answers.get("database") == "sqlalchemy":  # a new file in /tmp, on the host or in an image
        name = f"service-{secrets.token_hex(8)}.sqlite"
        env["FLASK_SQLALCHEMY_DATABASE_URI"] = f"sqlite:////tmp/{name}"
    if answers.get("auth") == "jwt":
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        public_key = ec.generate_private_key(ec.SECP256R1()).public_key()
        env.update({
            "FLASK_JWT_ISSUER": "https://issuer.example.test/",
            "FLASK_JWT_AUDIENCE": "my-service",
            "FLASK_JWT_PUBLIC_KEY": public_key.public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        })
    if answers.get("use_rate_limits"):
        # No Redis listens on port 1: the service fails open and counts in each worker's memory
        # (test_rate_limits.py runs it with a real Redis).
        env["FLASK_RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1/0"
    return env
