"""Time per request inside the app, without a server: where a render spends its time.

    bench/out/venv/bin/python bench/app_time.py bench_default bench_all
    bench/out/venv/bin/python bench/app_time.py --profile / bench_all
    bench/out/venv/bin/python bench/app_time.py --validation bench_all

Calls each app's WSGI callable in a loop with the same GET request and prints the CPU time per
request (best of interleaved rounds) next to bare Flask's (bench/bare_app.py); --profile prints
cProfile's view of one app instead; --validation prints what checking a request body against
the model (validation.field_errors) costs, next to a whole POST /items. Run it with a Python
where the rendered packages are installed (bench/run.py leaves them in bench/out/venv) and with
the production settings that the render needs (the JWT settings for auth=jwt, the database URL
for database=sqlalchemy) in the environment.
"""

import argparse
import cProfile
import gc
import importlib
import importlib.util
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent))


def load(module):
    return importlib.import_module(module).create_app()


def serve(app, environ, count):
    def start_response(status, headers, exc_info=None):
        pass

    for _ in range(count):
        body = app(dict(environ), start_response)
        for _ in body:
            pass
        body.close()


def cpu_per_request(app, environ, count):
    started = time.process_time()
    serve(app, environ, count)
    return (time.process_time() - started) / count


def best_cpu(function, rounds, count):
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(count):
            function()
        best = min(best, (time.process_time() - started) / count)
    return best


def with_write_token(config):
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    claims = {"iss": "https://issuer.example.test/", "aud": "bench", "sub": "bench",
              "exp": int(time.time()) + 3600, "scope": "items:write"}
    token = jwt.encode(claims, key, algorithm="ES256")
    config = {**config, "JWT_ISSUER": claims["iss"], "JWT_AUDIENCE": claims["aud"],
              "JWT_PUBLIC_KEY": pem}
    return config, {"Authorization": f"Bearer {token}"}


def validation_cost(module, rounds, count):
    """Microseconds of field_errors for a valid and an invalid item, and of a POST /items."""
    validation = importlib.import_module(f"{module}.validation")
    item = importlib.import_module(f"{module}.models").Item
    folder = tempfile.mkdtemp(prefix="app-time-db-")
    config, headers = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite"}, {}
    if importlib.util.find_spec(f"{module}.auth"):  # auth=jwt: a token that may write items
        config, headers = with_write_token(config)
    app = importlib.import_module(module).create_app(config)
    migrated = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert migrated.exit_code == 0, migrated.output
    body = {"name": "kettle", "description": "boils water"}
    costs = {
        "valid body": lambda: validation.field_errors(item, body, partial=False),
        "invalid body": lambda: validation.field_errors(
            item, {"name": " ", "description": 7, "colour": "red"}, partial=False),
    }
    for label, check in costs.items():
        print(f"field_errors, {label}: {best_cpu(check, rounds, count) * 1e6:.2f} us")
    environ = EnvironBuilder(path="/items", method="POST", json=body, headers=headers).get_environ()
    post = best_cpu(lambda: serve(app, environ, 1), rounds, max(count // 10, 1))
    valid = best_cpu(costs["valid body"], rounds, count)
    print(f"POST /items (SQLite): {post * 1e6:.1f} us, of which validation {valid * 1e6:.2f} us "
          f"({valid / post:.1%})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="+", help="importable packages with create_app()")
    parser.add_argument("--paths", nargs="+", default=["/healthz", "/"])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", metavar="PATH", help="profile the first module on PATH")
    parser.add_argument("--validation", action="store_true",
                        help="what body validation costs in the first module (its database)")
    args = parser.parse_args()
    # Metrics as under gunicorn: each process writes its own files.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="app-time-"))
    if args.validation:
        validation_cost(args.modules[0], args.rounds, args.requests)
        return
    if args.profile:
        app, environ = load(args.modules[0]), EnvironBuilder(path=args.profile).get_environ()
        serve(app, environ, 500)
        profile = cProfile.Profile()
        profile.runcall(serve, app, environ, 20 * args.requests)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        return
    apps = {"bare": load("bare_app"), **{module: load(module) for module in args.modules}}
    gc.collect()
    gc.freeze()  # as gunicorn.conf.py does before forking the workers
    for path in args.paths:
        environ = EnvironBuilder(path=path).get_environ()
        for app in apps.values():
            serve(app, environ, 200)
        best = {name: float("inf") for name in apps}
        for _ in range(args.rounds):
            for name, app in apps.items():
                best[name] = min(best[name], cpu_per_request(app, environ, args.requests))
        print(f"GET {path}: " + ", ".join(
            f"{name} {seconds * 1e6:.1f} us ({seconds / best['bare']:.2f}x)"
            for name, seconds in best.items()))


if __name__ == "__main__":
    main()
