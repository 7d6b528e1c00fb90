"""Rate limits as production runs them: gunicorn masters of the all-on render that count in a real
redis-server (Debian's, started here on a free port of 127.0.0.1 without persistence, and always
stopped). One client's flood leaves another client alone; a limit holds across two masters of
two workers each; a Redis stopped mid-run is met as RATELIMIT_IN_MEMORY_FALLBACK_ENABLED says,
never with a 500, and once it is back the limits are counted in it again.

Other clients are sockets bound to other loopback addresses (127.0.0.2, ...), which are all this
machine's. Every flood is bounded in count and time.
"""

import http.client
import json
import re
import shutil
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message

import pytest
import redis

from .conftest import bake_ok
from .options import ALL_ON
from .processes import free_port, start_server, stop_process_group
from .served import serving

pytestmark = pytest.mark.end_to_end

STARTUP_SECONDS = 30
# Fail open, a worker asks a storage it gave up on again after at most 32 seconds.
RECOVERY_SECONDS = 90
FLOOD_SECONDS = 30
PACKAGE = "my_service"


class RedisServer:
    """redis-server on 127.0.0.1, in its own process group; start() again after stop() serves
    on the same port, empty."""

    def __init__(self, folder):
        folder.mkdir()
        self.folder, self.port, self.process, self.starts = folder, free_port(), None, 0
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        command = shutil.which("redis-server")
        if command is None:
            pytest.fail("redis-server not found: install it (.ci/run does: apt-get install "
                        "redis-server)")
        self.starts += 1
        log = self.folder / f"redis-{self.starts}.log"
        self.process = start_server(
            [command, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            log, self.answers, "redis-server", STARTUP_SECONDS)

    def answers(self):
        try:
            return self.client().ping()
        except redis.RedisError:
            return False

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def count(self, address):
        """How many requests from ``address`` Redis has counted (all on one route here)."""
        client = self.client()
        keys = client.keys(f"LIMITS:LIMITER/{PACKAGE}/address:{address}/*")
        return sum(int(client.get(key)) for key in keys)

    def stop(self):
        if self.process is not None:
            stop_process_group(self.process)
            self.process = None


@pytest.fixture(scope="module")
def project(cookies_session):
    return bake_ok(cookies_session, **ALL_ON)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis")
    try:
        server.start()
        yield server
    finally:
        server.stop()


def limits(redis_server, limit, fail_open=True):
    return {"FLASK_RATELIMIT_STORAGE_URI": redis_server.url, "FLASK_RATELIMIT_DEFAULT": limit,
            "FLASK_RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": json.dumps(fail_open)}


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    def json(self):
        return json.loads(self.body)


def get(port, path="/", client="127.0.0.1"):
    """One GET on a connection of its own from the loopback address ``client``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                            source_address=(client, 0))
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def at_once(requests, workers=8):
    """The answers to ``requests`` (port, path, client), sent eight at a time."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda request: get(*request), requests))


def statuses(answers):
    return Counter(answer.status for answer in answers)


def assert_problem(answer, status):
    assert answer.status == status, answer
    assert answer.headers.get_content_type() == "application/problem+json", answer
    body = answer.json()
    assert body["status"] == status and body["request_id"], body
    return body


def test_a_flood_from_one_client_leaves_another_alone(project, redis_server, tmp_path):
    with serving(project, tmp_path, workers=2,
                 extra_env=limits(redis_server, "20 per minute")) as service:
        flood = at_once([(service.port, "/", "127.0.0.1")] * 60)
        assert statuses(flood) == {200: 20, 429: 40}
        refused = next(answer for answer in flood if answer.status == 429)
        assert "20 per 1 minute" in assert_problem(refused, 429)["detail"]
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["RateLimit-Limit"] == "20"
        assert refused.headers["RateLimit-Remaining"] == "0"

        other = get(service.port, client="127.0.0.2")
        assert other.status == 200 and other.headers["RateLimit-Remaining"] == "19"
        assert get(service.port, "/healthz").status == 200  # probes are never limited
        assert redis_server.count("127.0.0.1") == 60 and redis_server.count("127.0.0.2") == 1


def wait_for_workers(service, workers=2):
    deadline = time.monotonic() + STARTUP_SECONDS
    while len(re.findall(r"Booting worker with pid", service.output())) < workers:
        assert time.monotonic() < deadline, f"workers not booted:\n{service.output()[-3000:]}"
        time.sleep(0.1)


def workers_that_counted(workdir):
    """The pids of the workers of the server run in ``workdir`` that counted a request in
    /metrics: each writes a file of its own."""
    [metrics] = workdir.glob("*-metrics-*")
    return {path.stem.split("_")[-1] for path in metrics.glob("counter_*.db")}


def test_a_limit_holds_across_two_masters_of_two_workers(project, redis_server, tmp_path):
    env = limits(redis_server, "30 per minute")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    with serving(project, first, workers=2, extra_env=env) as one, \
            serving(project, second, workers=2, extra_env=env) as other:
        wait_for_workers(one)
        wait_for_workers(other)
        requests = [(one.port, "/", "127.0.0.1"), (other.port, "/", "127.0.0.1")] * 60
        answers = at_once(requests)
        assert statuses(answers) == {200: 30, 429: 90}
        by_master = Counter(port for (port, _, _), answer in zip(requests, answers)
                            if answer.status == 200)
        assert set(by_master) == {one.port, other.port}, by_master
        assert redis_server.count("127.0.0.1") == 120
        for workdir in (first, second):
            assert len(workers_that_counted(workdir)) == 2, "one worker answered everything"


class Flood:
    """GETs of / from one client, one after another on two threads, until stopped (or until
    FLOOD_SECONDS or 4000 requests): every status it got."""

    def __init__(self, port, client):
        self.port, self.client = port, client
        self.seen = Counter()
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(2)]

    def run(self):
        deadline = time.monotonic() + FLOOD_SECONDS
        for _ in range(2000):
            if self.stopped.is_set() or time.monotonic() > deadline:
                return
            self.seen[get(self.port, client=self.client).status] += 1

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        for thread in self.threads:
            thread.join()


def counted_in_redis_again(port, redis_server, client, limit):
    """True once three times the limit, sent at once from a new client, gets exactly the
    limit through and is counted whole in Redis: every worker that answered counts there."""
    answers = at_once([(port, "/", client)] * (3 * limit))
    assert 500 not in statuses(answers), statuses(answers)
    return statuses(answers)[200] == limit and redis_server.count(client) == 3 * limit


@pytest.mark.parametrize("fail_open", [True, False], ids=["fail-open", "fail-closed"])
def test_redis_stopped_mid_run_and_back(project, redis_server, tmp_path, fail_open):
    limit = 5
    env = limits(redis_server, f"{limit} per minute", fail_open)
    with serving(project, tmp_path, workers=2, extra_env=env) as service:
        port = service.port
        assert [get(port).status for _ in range(3)] == [200] * 3
        assert redis_server.count("127.0.0.1") == 3

        with Flood(port, "127.0.0.2") as flood:
            time.sleep(0.5)
            redis_server.stop()
            time.sleep(1)
            if fail_open:
                # Each worker counts on its own now: under the limit, every request is served.
                assert [get(port, client="127.0.0.3").status for _ in range(limit - 1)] == [
                    200] * (limit - 1)
                assert get(port, "/readyz").status == 200
            else:
                body = assert_problem(get(port, client="127.0.0.3"), 503)
                assert body["detail"] == "the rate limit storage is unavailable"
                assert assert_problem(get(port, "/readyz"), 503)["check"] == "rate_limit_storage"
            assert get(port, "/healthz").status == 200
        expected = {200, 429} if fail_open else {200, 429, 503}
        assert flood.seen and set(flood.seen) <= expected, flood.seen

        redis_server.start()
        deadline = time.monotonic() + RECOVERY_SECONDS
        for number in range(10, 250):
            if counted_in_redis_again(port, redis_server, f"127.0.0.{number}", limit):
                break
            assert time.monotonic() < deadline, "the limits were not counted in Redis again"
            time.sleep(1)
        assert get(port, "/readyz").status == 200
        log = service.output()
    assert "Traceback" not in log and '"level": "ERROR"' not in log, log[-4000:]
    outage = ("falling back to in-memory storage" if fail_open
              else "rate limit storage unavailable, answering 503")
    lines = [line for line in log.splitlines() if outage in line]
    assert 1 <= len(lines) <= 2, lines  # one for each worker
