"""The all-on render served by real gunicorn on 127.0.0.1, as production runs it.

The project's source is put on PYTHONPATH of this interpreter (whose environment holds what
rendered projects import), the database is a fresh SQLite file migrated with `flask db upgrade`,
the JWT settings trust a key made here, so that tests can sign valid bearer tokens, and the rate
limits are too high for a load or a fuzzer to meet (test_rate_limits.py sets its own).
gunicorn runs in its own process group and is always stopped, by SIGTERM and then SIGKILL.
"""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .conftest import production_env
from .options import ALL_ON
from .processes import accepts_connections, free_port, start_server, stop_process_group

STARTUP_SECONDS = 60
ISSUER = "https://issuer.example.test/"
AUDIENCE = "my-service"
PACKAGE = "my_service"  # of the default project name


@dataclass
class Service:
    project: Path
    port: int
    process: subprocess.Popen
    log: Path
    signing_key: ec.EllipticCurvePrivateKey = field(repr=False)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def token(self, scope, lifetime=3600):
        """A bearer token the service accepts, granting the space-separated ``scope``."""
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "template-tests", "iat": now,
                  "nbf": now, "exp": now + lifetime, "scope": scope}
        return jwt.encode(claims, self.signing_key, algorithm="ES256")

    def output(self):
        return self.log.read_text(encoding="utf-8", errors="replace")


def settings(signing_key, database):
    public_pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return {**production_env(ALL_ON), "FLASK_JWT_ISSUER": ISSUER, "FLASK_JWT_AUDIENCE": AUDIENCE,
            "FLASK_JWT_PUBLIC_KEY": public_pem,
            "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "FLASK_RATELIMIT_DEFAULT": "1000000 per minute"}


def environment(project, workdir, port, workers, extra_pythonpath=()):
    dropped = ("FLASK_", "COV_CORE", "PYTHONPATH", "PROMETHEUS_MULTIPROC_DIR", "TEST_DATABASE_URL")
    env = {name: value for name, value in os.environ.items() if not name.startswith(dropped)}
    env.update(HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY=str(workers),
               XDG_RUNTIME_DIR=str(workdir), TMPDIR=str(workdir), PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join([str(project / "src"), *map(str, extra_pythonpath)]))
    return env


@contextmanager
def serving(project, workdir, workers=2, app=None, extra_pythonpath=(), extra_env=None):
    """gunicorn serving ``project`` (or the WSGI ``app`` given as module:name) until the end."""
    signing_key = ec.generate_private_key(ec.SECP256R1())
    port = free_port()
    env = environment(project, workdir, port, workers, extra_pythonpath)
    env.update(settings(signing_key, workdir / "service.sqlite"), **(extra_env or {}))
    migrate = subprocess.run([sys.executable, "-m", "flask", "--app", PACKAGE, "db", "upgrade"],
                             cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    log = workdir / f"gunicorn-{port}.log"
    command = [sys.executable, "-m", "gunicorn", *([app] if app else [])]
    process = start_server(command, log, lambda: accepts_connections(port), "gunicorn",
                           STARTUP_SECONDS, cwd=project, env=env)
    service = Service(project, port, process, log, signing_key)
    try:
        yield service
    finally:
        stop_process_group(process)
