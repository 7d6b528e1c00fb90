"""Benchmarks of rendered services against bare Flask: one command, a table of ratios.

    python bench/run.py            # full run (about 15 minutes on 2 cores)
    python bench/run.py --quick    # fewer and shorter rounds (about 4 minutes)

Needs a Python with cookiecutter (the template's own tox env or `pip install cookiecutter`) and
`wrk` (Debian: `apt-get install wrk`). Everything else goes into bench/out/ (gitignored): the
rendered services, a virtualenv that serves all of them with one gunicorn, the tools for the
time-to-green runs (tox, tox-uv, uv) and package caches. Only 127.0.0.1 is loaded, every load
run is bounded in time. The two sides of every ratio run interleaved (A, B, A, B, ...) and each
ratio is the median of the per-round ratios, so that machine noise cancels.
"""

import argparse
import ast
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import io
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKERS = 2
# "libs" is bare Flask with the libraries the all-options render loads (see library_modules);
# "before" joins with --before REF.
TARGETS = ["bare", "libs", "default", "all"]
RENDERS = {"default": ("Bench Default", {}), "all": ("Bench All", None),  # None: ALL_ON
           "before": ("Bench Before", {})}
PACKAGES = {"default": "bench_default", "all": "bench_all", "before": "bench_before"}
ENDPOINTS = ("/healthz", "/")
LOG_MODES = ("on", "off")
TARGETS_MET = {  # (metric, render): (comparison, bound)
    ("rps", "default"): (">=", 0.90), ("rps", "all"): (">=", 0.85),
    ("p99", "default"): ("<=", 1.2), ("p99", "all"): ("<=", 1.2),
    ("cold", "default"): ("<=", 1.5), ("cold", "all"): ("<=", 1.5),
    ("rss", "default"): ("<=", 1.2), ("rss", "all"): ("<=", 1.2),
    ("rps", "before"): (">=", 0.90), ("p99", "before"): ("<=", 1.2),
    ("cold", "before"): ("<=", 1.5), ("rss", "before"): ("<=", 1.2),
    ("ttg", None): ("<=", 3.0),
}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(command, **kwargs):
    kwargs.setdefault("check", True)
    return subprocess.run([str(part) for part in command], **kwargs)


def rotate(items, by):
    by %= len(items)
    return list(items[by:]) + list(items[:by])


def median(values):
    return statistics.median(values) if values else float("nan")


# ---------------------------------------------------------------- setup


def template_source(out, ref, folder="template"):
    """The working tree, or the commit REF exported with git archive (untouched by local edits)."""
    if not ref:
        return ROOT
    target = out / folder
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = run(["git", "-C", ROOT, "archive", ref], capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def all_on(template):
    """ALL_ON from the template's tests/options.py, read without importing its dependencies."""
    tree = ast.parse((template / "tests" / "options.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(target, "id", None) == "ALL_ON" for target in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit("tests/options.py has no ALL_ON")


def render(template, out, before=None):
    try:
        from cookiecutter.main import cookiecutter
    except ImportError:
        raise SystemExit("cookiecutter is missing: run this with a Python that has it, e.g. "
                         "`python3 -m pip install cookiecutter` or the template's tox env")
    rendered = out / "rendered"
    shutil.rmtree(rendered, ignore_errors=True)
    rendered.mkdir(parents=True)
    projects = {}
    for name, (project_name, answers) in RENDERS.items():
        if name == "before" and not before:
            continue
        answers = all_on(template) if answers is None else answers
        context = {"project_name": project_name, **answers}
        source = before if name == "before" else template
        projects[name] = Path(cookiecutter(str(source), no_input=True, output_dir=str(rendered),
                                           extra_context=context))
        log(f"rendered {name}: {projects[name].name} {json.dumps(context)}")
    return projects


def make_venv(path, packages, python=sys.executable, uv=None):
    """A virtualenv with these packages; the installers' output goes to bench/out/setup.log."""
    with open(path.parent / "setup.log", "a") as output:
        if not (path / "bin" / "python").exists():
            run([python, "-m", "venv", path], stdout=output, stderr=subprocess.STDOUT)
        if uv:
            command = [uv, "pip", "install", "--compile-bytecode", "--python",
                       path / "bin" / "python", *packages]
        else:
            command = [path / "bin" / "python", "-m", "pip", "install", *packages]
        if run(command, stdout=output, stderr=subprocess.STDOUT, check=False).returncode:
            raise SystemExit(f"installing {' '.join(map(str, packages))} failed: see "
                             f"{path.parent / 'setup.log'}")


def tox_tools(out, python=sys.executable):
    """Venvs with tox and tox-uv, and with the same tox alone, on ``python``."""
    tag = "" if python == sys.executable else "-" + Path(python).name
    tools_uv, tools_pip = out / f"tools-uv{tag}", out / f"tools-pip{tag}"
    if not (tools_uv / "bin" / "tox").exists():
        log(f"installing tox, tox-uv and uv into {tools_uv}")
        make_venv(tools_uv, ["tox", "tox-uv"], python=python)
    tox_version = run([tools_uv / "bin" / "tox", "--version"], capture_output=True,
                      text=True).stdout.split()[0]
    if not (tools_pip / "bin" / "tox").exists():
        log(f"installing tox {tox_version} (without tox-uv) into {tools_pip}")
        make_venv(tools_pip, [f"tox=={tox_version}"], python=python)
    return tools_uv, tools_pip


def setup(out, template, env, before=None):
    tools_uv, _ = tox_tools(out)
    uv = tools_uv / "bin" / "uv"
    projects = render(template, out, before)
    venv = out / "venv"
    log("installing gunicorn, Flask and both rendered services into bench/out/venv")
    make_venv(venv, ["flask", "gunicorn", "python-json-logger", *projects.values(),
                     *(f"--reinstall-package={path.name}" for path in projects.values())],
              uv=uv)
    return projects, venv, uv


def production_env(venv):
    """The settings production needs (see the template's tests/conftest.py), none a secret."""
    pem = run([venv / "bin" / "python", "-c",
               "from cryptography.hazmat.primitives import serialization as s\n"
               "from cryptography.hazmat.primitives.asymmetric import ec\n"
               "k = ec.generate_private_key(ec.SECP256R1()).public_key()\n"
               "print(k.public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo)"
               ".decode())"], capture_output=True, text=True).stdout
    # Renders older than the removal of SECRET_KEY (--before REF) still require it.
    return {"FLASK_SECRET_KEY": "bench-only-not-a-secret",
            "FLASK_JWT_ISSUER": "https://issuer.example.test/",
            "FLASK_JWT_AUDIENCE": "bench-all", "FLASK_JWT_PUBLIC_KEY": pem,
            "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{venv.parent / 'bench.sqlite'}",
            # No Redis listens on port 1: the rate limits fail open, counting in each worker's
            # memory, and are set too high to be met.
            "FLASK_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
            "FLASK_RATELIMIT_DEFAULT": "1000000 per minute"}


def versions(venv):
    code = ("import importlib.metadata as m\n"
            "print(' '.join(f'{p} {m.version(p)}' for p in ('flask', 'werkzeug', 'gunicorn')))")
    return run([venv / "bin" / "python", "-c", code], capture_output=True, text=True).stdout.strip()


LIBRARY_PROBE = """\
import sys
import flask
loaded = set(sys.modules)
import {module}
{module}.create_app()
names = set(sys.modules) - loaded
# Extension modules that register under a name of their own cannot be imported by it; their
# package loads them.
print(" ".join(sorted(name for name in names if getattr(sys.modules[name], "__spec__", None)
                      and sys.modules[name].__spec__.name == name and name.split(".")[0]
                      not in sys.stdlib_module_names | {{"{module}", "__main__"}})))
"""


def side_env(target, env):
    """The environment of one side: only the "libs" side imports the libraries."""
    modules = env.get("BENCH_LIBRARY_MODULES", "") if target == "libs" else ""
    return {**env, "BENCH_BARE_IMPORTS": modules}


def library_modules(venv, env):
    """The modules, beyond Flask's and the standard library's, that the all-options render
    has loaded once create_app() returns: what the "libs" side imports into bare Flask."""
    probe = LIBRARY_PROBE.format(module=PACKAGES["all"])
    modules = run([venv / "bin" / "python", "-c", probe], capture_output=True, text=True,
                  env=env).stdout.split()
    log(f"libs side: bare Flask plus {len(modules)} modules of the all-options render's "
        f"libraries ({', '.join(sorted({name.split('.')[0] for name in modules}))})")
    return " ".join(modules)


# ---------------------------------------------------------------- servers and load


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, target, log_mode, projects, venv, env, out):
        self.target, self.log_mode, self.port = target, log_mode, free_port()
        if target in ("bare", "libs"):
            base, cwd = BENCH / "bare_gunicorn.conf.py", BENCH
        else:
            base, cwd = projects[target] / "gunicorn.conf.py", projects[target]
        metrics = out / "metrics" / f"{target}-{log_mode}"
        shutil.rmtree(metrics, ignore_errors=True)
        metrics.mkdir(parents=True)
        env = {**side_env(target, env), "HOST": "127.0.0.1", "PORT": str(self.port),
               "WEB_CONCURRENCY": str(WORKERS), "BENCH_BASE_CONF": str(base),
               "BENCH_ACCESS_LOG": log_mode, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
        self.process = subprocess.Popen(
            [venv / "bin" / "gunicorn", "-c", BENCH / "gunicorn_overlay.py"], cwd=cwd, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.target} server stopped: {self.process.stderr.read()}")
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as response:
                    if response.status == 200 and len(self.workers()) == WORKERS:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"{self.target} server not ready in {seconds}s")

    def workers(self):
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    def memory(self):
        """Mean RSS and PSS of the workers, in MiB."""
        rss, pss = [], []
        for pid in self.workers():
            fields = dict(line.split(":", 1)
                          for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
                          if ":" in line)
            rss.append(int(fields["Rss"].split()[0]) / 1024)
            pss.append(int(fields["Pss"].split()[0]) / 1024)
        return statistics.mean(rss), statistics.mean(pss)

    def cpu_seconds(self):
        """User and system CPU time of the master and its workers so far."""
        ticks = 0
        for pid in [self.process.pid, *self.workers()]:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def wrk(url, seconds, connections):
    """Requests per second, p99 latency (ms) and request count of one bounded wrk run."""
    result = run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
                  "--latency", url], capture_output=True, text=True)
    text = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    count = int(re.search(r"(\d+) requests in", text).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M).groups()
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", text)
    if errors:
        log(f"wrk {url}: {errors.group(0)}")
    return rps, float(value) * UNITS[unit], count


def load_rounds(args, projects, venv, env, out, results):
    """Rounds of fresh servers; in each, short wrk runs that take turns between the sides."""
    for round_number in range(args.rounds):
        log(f"load round {round_number + 1}/{args.rounds}: starting "
            f"{len(args.targets) * len(args.log_modes)} servers")
        servers = {(target, mode): Server(target, mode, projects, venv, env, out)
                   for target in args.targets for mode in args.log_modes}
        try:
            for server in servers.values():
                server.wait_ready()
            for server in servers.values():  # warm-up: import lazies, fill caches, settle
                for endpoint in ENDPOINTS:
                    wrk(server.url(endpoint), 1, args.connections)
            for slot in range(args.slots):
                turn = round_number * args.slots + slot
                for endpoint in ENDPOINTS:
                    for mode in args.log_modes:
                        for target in rotate(args.targets, turn):
                            server = servers[target, mode]
                            cpu = server.cpu_seconds()
                            rps, p99, count = wrk(server.url(endpoint), args.duration,
                                                  args.connections)
                            cpu = server.cpu_seconds() - cpu
                            results["load"].append({"turn": turn, "target": target,
                                                    "endpoint": endpoint, "log": mode,
                                                    "rps": rps, "p99_ms": p99,
                                                    "cpu_us": cpu / count * 1e6})
            for target in rotate(args.targets, round_number):
                rss, pss = servers[target, args.log_modes[0]].memory()
                results["memory"].append({"round": round_number, "target": target,
                                          "rss_mib": rss, "pss_mib": pss})
        finally:
            for server in servers.values():
                server.stop()
        rows = [r for r in results["load"] if r["turn"] // args.slots == round_number]
        log("; ".join(f"{target}: {median([r['rps'] for r in rows if r['target'] == target]):.0f}/s"
                      for target in args.targets))


# ---------------------------------------------------------------- cold start

COLD = """\
import sys, time
start = time.perf_counter()
import {module}
app = {module}.create_app()
took = time.perf_counter() - start
assert app.url_map.bind("x").match("/healthz")
print(took)
"""


def cold_start(args, venv, env, results):
    python = venv / "bin" / "python"
    modules = {"bare": "bare_app", "libs": "bare_app", **PACKAGES}
    for run_number in range(args.cold_runs):
        for target in rotate(args.targets, run_number):
            began = time.perf_counter()
            took = run([python, "-c", COLD.format(module=modules[target])], capture_output=True,
                       text=True, env={**side_env(target, env), "PYTHONPATH": str(BENCH)},
                       cwd=BENCH).stdout
            wall = time.perf_counter() - began
            results["cold"].append({"run": run_number, "target": target,
                                    "import_create_ms": float(took) * 1000,
                                    "process_ms": wall * 1000})


# ---------------------------------------------------------------- time to green


def time_to_green(args, projects, out, uv, env, results):
    """The rendered default project's first `tox -e py` (installed from its uv.lock) vs.
    uv venv + uv pip install flask pytest + pytest."""
    python = args.ttg_python
    version = run([python, "-c", "import platform; print(platform.python_version())"],
                  capture_output=True, text=True).stdout.strip()
    work = out / "ttg"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    # Same package caches for every side, filled by one untimed run each: the comparison is
    # of creating, installing and testing, not of the network.
    env = {**env, "PIP_CACHE_DIR": str(out / "cache" / "pip"),
           "UV_CACHE_DIR": str(out / "cache" / "uv"), "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)

    def minimal(folder):
        folder.mkdir()
        for name in ("bare_app.py", "test_bare_app.py"):
            shutil.copy(BENCH / name, folder / name)
        run([uv, "venv", "-q", "--python", python, ".venv"], cwd=folder, env=env)
        run([uv, "pip", "install", "-q", "--python", ".venv/bin/python", "flask", "pytest"],
            cwd=folder, env=env)
        run([".venv/bin/python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=folder,
            env=env, stdout=subprocess.DEVNULL)

    def project(folder):
        """The floor for the rendered project itself: its own tests, installed by uv."""
        shutil.copytree(projects["default"], folder)
        run([uv, "venv", "-q", "--python", python, ".venv"], cwd=folder, env=env)
        run([uv, "pip", "install", "-q", "--python", ".venv/bin/python", ".[test]"],
            cwd=folder, env=env)
        run([".venv/bin/python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov"],
            cwd=folder, env=env, stdout=subprocess.DEVNULL)

    def tox(tools, *pytest_args):
        def side(folder):
            shutil.copytree(projects["default"], folder)
            with open(folder / "tox.log", "w") as output:
                # One env, as each job of the generated CI runs it: `tox -e py`.
                result = run([tools / "bin" / "tox", "-e", "py", "--", *pytest_args],
                             cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT,
                             check=False)
            if result.returncode != 0:
                raise SystemExit(f"tox failed in {folder}: see {folder / 'tox.log'}")
            return tox_parts((folder / "tox.log").read_text(encoding="utf-8"))
        return side

    def wheel(folder):
        """The project's wheel alone, built as `uv sync` builds it (the build backend's share)."""
        shutil.copytree(projects["default"], folder)
        run([uv, "build", "-q", "--wheel", "-p", python, "-o", "dist"], cwd=folder, env=env)

    tools_uv, tools_pip = tox_tools(out, python)
    sides = {"minimal": minimal, "uv-project": project, "tox": tox(tools_pip),
             "tox-uv": tox(tools_uv), "tox-uv-no-cov": tox(tools_uv, "--no-cov"),
             "wheel": wheel}
    for name, side in sides.items():
        log(f"time to green: priming the caches with one untimed {name} run")
        side(work / f"prime-{name}")
    for round_number in range(args.ttg_rounds):
        for name in rotate(list(sides), round_number):
            began = time.perf_counter()
            parts = sides[name](work / f"{name}-{round_number}") or {}
            took = time.perf_counter() - began
            log(f"time to green round {round_number + 1}: {name} {took:.1f}s")
            for side, seconds in {name: took, **{f"{name}: {part}": seconds
                                                 for part, seconds in parts.items()}}.items():
                results["ttg"].append({"round": round_number, "side": side,
                                       "seconds": seconds, "python": version})


def tox_parts(tox_log):
    """Where a `tox -e py` run went, from its log: tox's setup (venv, install, the project's
    build) and command, and pytest's own session time within the command."""
    parts = {}
    timing = re.search(r"py: OK \(([\d.]+)=setup\[([\d.]+)\]\+cmd\[([\d.]+)\] seconds\)",
                       tox_log)
    if timing:
        parts["setup"], parts["command"] = float(timing[2]), float(timing[3])
    session = re.search(r"passed.* in ([\d.]+)s", tox_log)
    if session:
        parts["pytest session"] = float(session[1])
    return parts


# ---------------------------------------------------------------- report


def paired(rows, key, value, match, side, base="bare"):
    """Per-round ratios side/base of rows that agree on ``match``, and the two sides' values."""
    by_round = {}
    for row in rows:
        if all(row[k] == v for k, v in match.items()):
            by_round.setdefault(row[key], {})[row.get("target", row.get("side"))] = row[value]
    pairs = [(r[side], r[base]) for r in by_round.values() if side in r and base in r]
    return ([a / b for a, b in pairs], [a for a, _ in pairs], [b for _, b in pairs])


def verdict(metric, render, ratio):
    comparison, bound = TARGETS_MET[metric, render]
    ok = ratio >= bound if comparison == ">=" else ratio <= bound
    return f"{comparison} {bound:.2f}", "ok" if ok else "MISS"


def report(results):
    lines = ["| measure | side | bare | side | ratio (median, min-max) | target | |",
             "|---|---|---:|---:|---|---|---|"]

    def row(label, side, metric, render, ratios, a, b, unit, fmt="{:.0f}"):
        if not ratios:
            return
        ratio = median(ratios)
        target, ok = "", ""
        if (metric, render) in TARGETS_MET:
            target, ok = verdict(metric, render, ratio)
        lines.append(f"| {label} | {side} | {fmt.format(median(b))} {unit} | "
                     f"{fmt.format(median(a))} {unit} | {ratio:.2f} "
                     f"({min(ratios):.2f}-{max(ratios):.2f}) | {target} | {ok} |")

    for endpoint in ENDPOINTS:
        for mode in LOG_MODES:
            for render in ("before", "libs", "default", "all"):
                match = {"endpoint": endpoint, "log": mode}
                ratios, a, b = paired(results["load"], "turn", "rps", match, render)
                row(f"GET {endpoint} req/s, access log {mode}", render, "rps", render, ratios,
                    a, b, "/s")
                ratios, a, b = paired(results["load"], "turn", "p99_ms", match, render)
                row(f"GET {endpoint} p99, access log {mode}", render, "p99", render, ratios,
                    a, b, "ms", "{:.2f}")
                ratios, a, b = paired(results["load"], "turn", "cpu_us", match, render)
                row(f"GET {endpoint} server CPU per request, log {mode} (info)", render, None,
                    render, ratios, a, b, "us")
    for render in ("before", "libs", "default", "all"):
        ratios, a, b = paired(results["cold"], "run", "import_create_ms", {}, render)
        row("cold start: import + create_app()", render, "cold", render, ratios, a, b, "ms",
            "{:.0f}")
        ratios, a, b = paired(results["cold"], "run", "process_ms", {}, render)
        row("cold start: whole process (info)", render, None, render, ratios, a, b, "ms")
    ratios, a, b = paired(results["cold"], "run", "import_create_ms", {}, "all", base="libs")
    row("cold start, all options against libs (info)", "all / libs", None, None, ratios, a, b,
        "ms")
    for render in ("before", "libs", "default", "all"):
        ratios, a, b = paired(results["memory"], "round", "rss_mib", {}, render)
        row("worker RSS after warm-up", render, "rss", render, ratios, a, b, "MiB", "{:.1f}")
        ratios, a, b = paired(results["memory"], "round", "pss_mib", {}, render)
        row("worker PSS after warm-up (info)", render, None, render, ratios, a, b, "MiB",
            "{:.1f}")
    ratios, a, b = paired(results["memory"], "round", "rss_mib", {}, "all", base="libs")
    row("worker RSS, all options against libs (info)", "all / libs", None, None, ratios, a, b,
        "MiB", "{:.1f}")
    for side, label in (
            ("tox", "`tox`"), ("tox-uv", "`tox` with tox-uv"),
            ("tox-uv: setup", "of which tox's setup: venv, uv sync, the wheel (info)"),
            ("tox-uv: command", "of which the command, `pytest --cov` (info)"),
            ("tox-uv: pytest session", "of which pytest's session, as pytest reports it (info)"),
            ("tox-uv-no-cov", "`tox` with tox-uv, `-- --no-cov`: coverage off (info)"),
            ("wheel", "the project's wheel alone, `uv build --wheel` (info)"),
            ("uv-project", "uv venv + uv pip install .[test] + pytest (info)")):
        ratios, a, b = paired(results["ttg"], "round", "seconds", {}, side, base="minimal")
        python = "/".join(sorted({entry["python"] for entry in results["ttg"]}))
        row(f"time to green on Python {python}: default render, {label}", side,
            "ttg" if side in ("tox", "tox-uv") else None, None, ratios, a, b, "s", "{:.1f}")
    lines[0] = ("| measure | render or tool | baseline | render or tool | ratio (median, min-max) "
                "| target | |")
    return "\n".join(lines)


def machine():
    cpu = next((line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    wrk_version = run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout
    return (f"{cpu}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end; "
            f"{platform.platform()}; Python {platform.python_version()}; "
            f"{wrk_version.splitlines()[0] if wrk_version else 'wrk'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter rounds")
    parser.add_argument("--ref", help="render from this git commit instead of the working tree")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["load", "cold", "ttg"], help="leave out a part (repeatable)")
    parser.add_argument("--before", metavar="REF",
                        help="also measure the default render of this git commit, side by side")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--ttg-python", default=sys.executable, metavar="PYTHON",
                        help="the Python every time-to-green side runs on (default: this one)")
    parser.add_argument("--out", type=Path, default=BENCH / "out")
    args = parser.parse_args()
    # Load: fresh servers each round; in each, `slots` turns of 1 s wrk runs through every side.
    args.rounds, args.slots, args.duration = (1, 2, 1) if args.quick else (3, 6, 1)
    args.cold_runs, args.ttg_rounds = (6, 1) if args.quick else (21, 3)
    args.log_modes = LOG_MODES
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: install it (Debian: `apt-get install wrk`); "
                         "the benchmark installs nothing into the system by itself")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("FLASK_", "GUNICORN_", "PROMETHEUS_"))}
    template = template_source(out, args.ref)
    before = template_source(out, args.before, "template-before") if args.before else None
    args.targets = TARGETS + (["before"] if before else [])
    projects, venv, uv = setup(out, template, env, before)
    env.update(production_env(venv))
    env["BENCH_LIBRARY_MODULES"] = library_modules(venv, env)
    results = {"load": [], "memory": [], "cold": [], "ttg": []}
    began = time.monotonic()
    if "cold" not in args.skip:
        log(f"cold start: {args.cold_runs} fresh processes per side")
        cold_start(args, venv, env, results)
    if "load" not in args.skip:
        load_rounds(args, projects, venv, env, out, results)
    if "ttg" not in args.skip:
        time_to_green(args, projects, out, uv, env, results)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    print(f"\nMachine: {machine()}; {versions(venv)}; {WORKERS} gthread workers (16 threads) "
          f"each, wrk -t1 -c{args.connections}, {args.rounds} rounds x {args.slots} turns of "
          f"{args.duration}s; {time.monotonic() - began:.0f}s of measuring. "
          f"Raw data: {out / 'results.json'}\n")
    print(report(results))


if __name__ == "__main__":
    main()
