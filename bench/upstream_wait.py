"""Views that wait on another service: the all-options render with one extra route that calls a
local upstream answering after 50 ms, under gunicorn with several worker classes, loaded by wrk
at concurrency 64. Prints requests per second against the bound, concurrent slots / 50 ms.

    bench/out/venv/bin/python bench/upstream_wait.py bench_all      # after bench/run.py

Everything listens on 127.0.0.1; each run is bounded by --seconds.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DELAY = 0.05
WSGI = """
import os
from {package} import create_app
from {package}.http_client import http_client

app = create_app()


@app.get("/bench/upstream")
def call_upstream():
    return {{"upstream": http_client().get(os.environ["BENCH_UPSTREAM"]).status_code}}
"""
# (label, gunicorn options, concurrent slots, settings) with WEB_CONCURRENCY=2 workers
SERVERS = [
    ("2 sync workers", ["--worker-class", "sync"], 2, {}),
    ("2 gthread workers x 8 threads", ["--threads", "8"], 16, {}),
    ("2 gthread workers x 16 threads", ["--threads", "16"], 32, {}),
    ("2 gthread workers x 32 threads", ["--threads", "32"], 64, {}),
    ("2 gthread workers x 32 threads, pool 32", ["--threads", "32"], 64,
     {"FLASK_HTTP_POOL_SIZE": "32"}),
]


class Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed ACK

    def do_GET(self):
        time.sleep(DELAY)
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def wait_for_port(port, server, log, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited {server.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not listen on {port}:\n{log.read_text()[-3000:]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", help="a render with use_http_client, importable")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--conf", type=Path, help="the render's gunicorn.conf.py "
                        "(default: bench/run.py's render of PACKAGE in bench/out/rendered)")
    args = parser.parse_args()
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    upstream.daemon_threads = True
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    work = Path(tempfile.mkdtemp(prefix="upstream-wait-"))
    (work / "upstream_app.py").write_text(WSGI.format(package=args.package))
    base_conf = args.conf or (BENCH / "out" / "rendered" / args.package.replace("_", "-")
                              / "gunicorn.conf.py")
    from run import free_port, production_env  # as bench/run.py starts the renders

    env = {**os.environ, **production_env(Path(sys.executable).parent.parent),
           "BENCH_BASE_CONF": str(base_conf),
           "BENCH_UPSTREAM": f"http://127.0.0.1:{upstream.server_port}/",
           "HOST": "127.0.0.1", "WEB_CONCURRENCY": "2", "BENCH_ACCESS_LOG": "off",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(work),
                                                       os.environ.get("PYTHONPATH")]))}
    print(f"upstream answers after {DELAY * 1000:.0f} ms; wrk -c{args.connections} "
          f"for {args.seconds} s each")
    for label, options, slots, settings in SERVERS:
        port = free_port()
        env = {**env, **settings, "PORT": str(port)}
        log = work / f"gunicorn-{port}.log"
        with open(log, "wb") as output:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(BENCH / "gunicorn_overlay.py"),
                 "--worker-class", "gthread", *options, "upstream_app:app"], cwd=work, env=env,
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_port(port, server, log)
            out = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s",
                                  f"http://127.0.0.1:{port}/bench/upstream"],
                                 capture_output=True, text=True, timeout=args.seconds + 60).stdout
        finally:
            if server.poll() is None:
                os.killpg(server.pid, 15)
                server.wait(timeout=60)
        found = re.search(r"Requests/sec:\s+([\d.]+)", out)
        if not found:
            raise SystemExit(f"wrk measured nothing:\n{out}\n{log.read_text()[-3000:]}")
        rate = float(found.group(1))
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        bound = slots / DELAY
        print(f"{label}: {rate:.0f} requests/s, bound {bound:.0f} ({rate / bound:.0%})"
              f"{f', {errors.group(1)} non-2xx' if errors else ''}")


if __name__ == "__main__":
    main()
