"""Load and shutdown of the all-on render under gunicorn with several workers, on 127.0.0.1.

A bounded load (TEMPLATE_TESTS_LOAD_REQUESTS, default 20,000 requests, 64 at a time) ends with
every request answered in full and as expected. SIGTERM while requests are in flight lets each of
them finish with a 200, and gunicorn exits 0. The client is asyncio on raw sockets: one
connection a request (gunicorn's sync workers close each one), a whole response read and checked
against its Content-Length. Rates are printed, never asserted.
"""

import asyncio
import os
import signal
import time
from collections import Counter

import pytest

from .conftest import bake_ok
from .options import ALL_ON
from .served import PACKAGE, serving

pytestmark = pytest.mark.end_to_end

REQUESTS = int(os.environ.get("TEMPLATE_TESTS_LOAD_REQUESTS", "20000"))
CONCURRENCY = 64
WORKERS = 4
REQUEST_TIMEOUT = 30
# What the load asks for, in turn: reads of every kind, and now and then a write.
MIX = [("GET", "/"), ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/items?per_page=5"),
       ("GET", "/"), ("GET", "/openapi.json"), ("GET", "/healthz"), ("POST", "/items"),
       ("GET", "/"), ("GET", "/metrics")]
EXPECTED = {"GET": 200, "POST": 201}

SLOW_APP = f'''\
"""The service with one more route, /test/slow, that takes SLOW_SECONDS to answer."""
import os
import time
from pathlib import Path

from {PACKAGE} import create_app

app = create_app()


@app.get("/test/slow")
def slow():
    Path(os.environ["SLOW_MARKERS"], str(time.monotonic_ns())).touch()  # inside the view
    time.sleep(float(os.environ["SLOW_SECONDS"]))
    return {{"slept": True}}
'''


async def fetch(port, method, path, headers=b"", body=b""):
    """One request on a new connection: the status, or why there is none.

    "refused" and "reset" mean no byte of a response arrived; "partial" means some did.
    """
    received = b""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s"
                         b"Content-Length: %d\r\n\r\n%s"
                         % (method.encode(), path.encode(), headers, len(body), body))
            await writer.drain()
            received = await reader.read()
        finally:
            writer.close()
    except ConnectionRefusedError:
        return "refused"
    except (ConnectionResetError, BrokenPipeError):
        return "partial" if received else "reset"
    if not received:
        return "reset"
    head, separator, content = received.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    lengths = [line.split(b":", 1)[1] for line in lines
               if line.lower().startswith(b"content-length:")]
    if not separator or len(lengths) != 1 or int(lengths[0]) != len(content):
        return "partial"
    return int(lines[0].split()[1])


async def load(port, total, concurrency, token):
    """``total`` requests from the MIX, ``concurrency`` at a time: a Counter of outcomes."""
    outcomes = Counter()
    write = f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n".encode()
    counter = iter(range(total))

    async def client():
        for number in counter:
            method, path = MIX[number % len(MIX)]
            headers, body = (write, b'{"name": "load %d"}' % number) if method == "POST" else (
                b"", b"")
            outcome = await asyncio.wait_for(fetch(port, method, path, headers, body),
                                             REQUEST_TIMEOUT)
            outcomes[(method, outcome)] += 1

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return outcomes


@pytest.fixture(scope="module")
def project(cookies_session):
    return bake_ok(cookies_session, **ALL_ON)


def test_bounded_load_through_several_workers_has_no_failed_request(project, tmp_path):
    # /readyz is part of the load: on a busy shared machine its 2 s deadline is a timing, which
    # this test does not measure.
    with serving(project, tmp_path, workers=WORKERS,
                 extra_env={"FLASK_READINESS_TIMEOUT": "30"}) as service:
        token = service.token("items:write")
        started = time.monotonic()
        outcomes = asyncio.run(load(service.port, REQUESTS, CONCURRENCY, token))
        elapsed = time.monotonic() - started
        log = service.output()
    print(f"\n{REQUESTS} requests, {CONCURRENCY} at a time, {WORKERS} workers: "
          f"{elapsed:.1f} s, {REQUESTS / elapsed:.0f} requests/s, {dict(outcomes)}")
    failed = {key: count for key, count in outcomes.items() if key[1] != EXPECTED[key[0]]}
    errors = [line for line in log.splitlines() if '"level": "ERROR"' in line]
    assert not failed, f"{failed} of {dict(outcomes)}\n" + "\n".join(errors[:5] or [log[-4000:]])
    assert sum(outcomes.values()) == REQUESTS
    assert '"level": "ERROR"' not in log, log[-4000:]


async def shutdown_under_load(service, slow_requests, markers):
    """Slow requests in flight and a stream of quick ones; SIGTERM once the slow ones are inside
    the view. The outcomes of the slow ones, and of the quick ones before and after SIGTERM."""
    port = service.port
    slow = [asyncio.create_task(fetch(port, "GET", "/test/slow")) for _ in range(slow_requests)]
    quick = {"before": Counter(), "after": Counter()}
    stopping = asyncio.Event()

    async def quick_client():
        while not stopping.is_set() or not all(task.done() for task in slow):
            outcome = await asyncio.wait_for(fetch(port, "GET", "/healthz"), REQUEST_TIMEOUT)
            quick["after" if stopping.is_set() else "before"][outcome] += 1
            if outcome in ("refused", "reset"):
                await asyncio.sleep(0.05)

    clients = [asyncio.create_task(quick_client()) for _ in range(8)]
    deadline = time.monotonic() + 30
    while len(list(markers.iterdir())) < slow_requests or sum(quick["before"].values()) < 50:
        assert time.monotonic() < deadline, f"slow requests not in flight: {quick}"
        await asyncio.sleep(0.05)
    os.kill(service.process.pid, signal.SIGTERM)  # to the master only, as a container runtime
    stopping.set()
    slow_outcomes = await asyncio.gather(*slow)
    await asyncio.gather(*clients)
    return slow_outcomes, quick


def test_sigterm_lets_requests_in_flight_finish_and_exits_0(project, tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "slow_app.py").write_text(SLOW_APP, encoding="utf-8")
    slow_requests = WORKERS // 2  # the other workers answer the quick requests meanwhile
    with serving(project, tmp_path, workers=WORKERS, app="slow_app:app",
                 extra_pythonpath=[modules],
                 extra_env={"SLOW_MARKERS": str(markers), "SLOW_SECONDS": "3"}) as service:
        started = time.monotonic()
        slow, quick = asyncio.run(shutdown_under_load(service, slow_requests, markers))
        exit_code = service.process.wait(timeout=60)
        elapsed = time.monotonic() - started
        log = service.output()
    print(f"\nSIGTERM with {slow_requests} slow requests in flight: slow {slow}, quick {quick}, "
          f"exit {exit_code} after {elapsed:.1f} s")
    assert slow == [200] * slow_requests, f"{slow}\n{log[-4000:]}"
    assert set(quick["before"]) == {200}, quick
    # Once SIGTERM is sent, a quick request is answered in full, or refused or reset without a
    # byte of answer: gunicorn closes its listening socket, and connections that no worker has
    # accepted yet are dropped (so a load balancer should stop sending before SIGTERM).
    # None is cut short, none is a 5xx.
    assert set(quick["after"]) <= {200, "refused", "reset"}, quick
    assert exit_code == 0, log[-4000:]
    assert "Handling signal: term" in log and "Shutting down: Master" in log, log[-4000:]
    assert log.count("Worker exiting") == WORKERS, log[-4000:]
    assert '"level": "ERROR"' not in log, log[-4000:]
