"""The static checks that every combination passes (checks.py) do fail on what they look for.

Each secret below is made at test time and planted in a folder of its own; none is stored.
"""

import base64
import os
import secrets

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .checks import assert_bandit_clean, assert_no_secrets


def private_key_pem():
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()


def signed_jwt():
    return jwt.encode({"sub": "someone"}, ec.generate_private_key(ec.SECP256R1()),
                      algorithm="ES256")


PLANTED = {
    "private-key": (lambda: f'KEY = """{private_key_pem()}"""\n', "a private key"),
    "password-literal": (lambda: f'password = "{secrets.token_urlsafe(8)}"\n',
                         "a password or key literal"),
    "secret-key-setting": (lambda: f'{{"SECRET_KEY": "{secrets.token_urlsafe(12)}"}}\n',
                           "a password or key literal"),
    "url-credentials": (lambda: f"url = postgresql://app:{secrets.token_urlsafe(10)}@db/app\n",
                        "credentials in a URL"),
    # 64 random bytes: a 44-character token shows entropy under 4.5 bits about once in 700.
    "random-base64": (lambda: base64.b64encode(os.urandom(64)).decode() + "\n",
                      "a long random string"),
    "random-hex": (lambda: f"SECRET_KEY={secrets.token_hex(32)}\n", "a long hex string"),
    "forge-token": (lambda: "token: ghp_" + "A1b2" * 9 + "\n", "a cloud or forge token"),
    "jwt": (lambda: f"Authorization: Bearer {signed_jwt()}\n", "a signed JWT"),
}


@pytest.mark.parametrize("make, what", PLANTED.values(), ids=PLANTED.keys())
def test_a_planted_secret_is_found(tmp_path, make, what):
    (tmp_path / "planted.txt").write_text(make(), encoding="utf-8")
    with pytest.raises(AssertionError, match=what):
        assert_no_secrets(tmp_path)


def test_placeholders_and_pins_are_not_secrets(tmp_path):
    (tmp_path / "README.md").write_text(
        "export URL=postgresql+psycopg://user:password@localhost/my_service\n"
        "FLASK_SECRET_KEY=change-me gunicorn\n"
        "uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8\n"
        "FROM python:3.12-slim@sha256:" + "ab12" * 16 + "\n"
        "def test_under_gunicorn_metrics_add_up_the_files_of_every_worker():\n",
        encoding="utf-8")
    assert_no_secrets(tmp_path)


def test_what_was_typed_is_not_a_secret(tmp_path):
    name = secrets.token_hex(20)
    (tmp_path / ".cookiecutter.json").write_text(f'{{"project_name": "{name}"}}',
                                                 encoding="utf-8")
    (tmp_path / "README.md").write_text(f"# {name}\n", encoding="utf-8")
    assert_no_secrets(tmp_path)
    (tmp_path / "README.md").write_text(f"# {name}\n{secrets.token_hex(20)}\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="a long hex string"):
        assert_no_secrets(tmp_path)


def test_bandit_finds_a_shell_injection(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "run.py").write_text(
        "import subprocess\n\n\ndef run(command):\n"
        "    return subprocess.call(command, shell=True)\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="B602"):
        assert_bandit_clean(tmp_path)
