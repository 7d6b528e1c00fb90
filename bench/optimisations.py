"""Does each optimisation in the rendered service still pay? Each one against the plain code it
replaced, in one process, interleaved; an optimisation stays only where it saves 3% or more.

    bench/out/venv/bin/python bench/optimisations.py bench_all

Needs the all-on render installed (bench/run.py leaves it in bench/out/venv as bench_all) and
runs it with the production settings of bench/run.py's production_env, made here.
"""

import argparse
import gc
import importlib
import os
import subprocess
import sys
import tempfile
import time

from werkzeug.test import EnvironBuilder

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from app_time import serve, with_write_token  # noqa: E402


def cpu_per_request(app, environ, rounds, count):
    serve(app, environ, 200)
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        serve(app, environ, count)
        best = min(best, (time.process_time() - started) / count)
    return best


def plain_metrics(package):
    """Counter and Histogram children looked up with labels() on every request."""
    module = importlib.import_module(f"{package}.metrics")

    def observe(self, labels, seconds):
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    return module.Metrics, "observe", observe


PER_REQUEST = {"cached metrics label children": plain_metrics}


def per_request(package, rounds, count):
    config, _ = with_write_token({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    environ = EnvironBuilder(path="/", headers={"X-Request-ID": "bench-1"}).get_environ()
    app = importlib.import_module(package).create_app(config)
    gc.collect()
    for name, plain in PER_REQUEST.items():
        owner, attribute, replacement = plain(package)
        sides = {"shipped": getattr(owner, attribute), "plain": replacement}
        best = {side: float("inf") for side in sides}
        for _ in range(rounds):
            for side, function in sides.items():
                setattr(owner, attribute, function)
                best[side] = min(best[side], cpu_per_request(app, environ, 1, count))
        setattr(owner, attribute, sides["shipped"])
        saved = 1 - best["shipped"] / best["plain"]
        print(f"{name}: GET / {best['shipped'] * 1e6:.1f} us shipped, {best['plain'] * 1e6:.1f} us "
              f"plain: saves {saved:.1%} -> {'keep' if saved >= 0.03 else 'drop'}")


STARTUP = """
import resource, sys, time
began = time.perf_counter()
from {package} import create_app
app = create_app({config!r})
if sys.argv[1] == "eager":  # Flask-Migrate as its documentation wires it, in create_app
    from flask_migrate import Migrate
    from {package}.db import MIGRATIONS, db
    Migrate(app, db, directory=str(MIGRATIONS), render_as_batch=True)
print(time.perf_counter() - began, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def startup(package, runs):
    """Import and create_app() in fresh processes: Alembic imported by `flask db` only (shipped)
    or by every process, as Flask-Migrate's documentation wires it."""
    config, _ = with_write_token({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    code = STARTUP.format(package=package, config=config)
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="optimisations-")}
    results = {"lazy": [], "eager": []}
    for _ in range(runs):
        for side in results:
            out = subprocess.run([sys.executable, "-c", code, side], env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            results[side].append((float(out[0]), int(out[1]) / 1024))
    lazy, eager = (sorted(results[side])[runs // 2] for side in ("lazy", "eager"))
    saved = 1 - lazy[0] / eager[0]
    print(f"Alembic imported by `flask db` only: import + create_app() {lazy[0] * 1000:.0f} ms "
          f"vs {eager[0] * 1000:.0f} ms wired as documented (saves {saved:.1%}), peak RSS "
          f"{lazy[1]:.1f} vs {eager[1]:.1f} MiB -> {'keep' if saved >= 0.03 else 'drop'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", help="the all-on render, importable")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=11, help="fresh processes per startup side")
    args = parser.parse_args()
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="optimisations-"))
    per_request(args.package, args.rounds, args.requests)
    startup(args.package, args.runs)


if __name__ == "__main__":
    main()
