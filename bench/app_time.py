"""Time per request inside the app, without a server: where a render spends its time.

    bench/out/venv/bin/python bench/app_time.py bench_default bench_all
    bench/out/venv/bin/python bench/app_time.py --profile / bench_all

Calls each app's WSGI callable in a loop with the same GET request and prints the CPU time per
request (best of interleaved rounds) next to bare Flask's (bench/bare_app.py); --profile prints
cProfile's view of one app instead. Run it with a Python where the rendered packages are
installed (bench/run.py leaves them in bench/out/venv) and with the production settings that
the render needs (FLASK_SECRET_KEY, and the JWT settings for auth=jwt) in the environment.
"""

import argparse
import cProfile
import gc
import importlib
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="+", help="importable packages with create_app()")
    parser.add_argument("--paths", nargs="+", default=["/healthz", "/"])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", metavar="PATH", help="profile the first module on PATH")
    args = parser.parse_args()
    # Metrics as under gunicorn: each process writes its own files.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="app-time-"))
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
