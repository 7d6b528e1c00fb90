"""Slow clients against a server on 127.0.0.1: while N connections send their request headers a
byte a second (slowloris; each one reconnects when the server closes it), a normal client asks
GET /healthz every 0.2 s and others send ordinary requests (GET --path); prints how many /healthz
requests were answered within a second, and how many ordinary ones failed.

    bench/out/venv/bin/python bench/slow_clients.py PORT --slow 5 200 --seconds 10

Start the server to measure yourself (gunicorn as gunicorn.conf.py sets it up, or behind a proxy);
this only connects to 127.0.0.1. Standard library only, so that it runs in any container that
has a python (`python - PORT --json < bench/slow_clients.py`). --json prints one JSON object per
count of slow clients: slow, connected, health_asked, health_answered, normal_sent,
normal_failed, failures (the first few, as text).
"""

import argparse
import http.client
import json
import socket
import threading
import time

HEADERS = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 10_000
NORMAL_CLIENTS = 4
NORMAL_TIMEOUT = 10
KEPT_FAILURES = 5


class Trickle(threading.Thread):
    def __init__(self, port, stop):
        super().__init__(daemon=True)
        self.port, self.stop, self.connected = port, stop, threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                connection = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            except OSError:
                if self.stop.wait(1):
                    return
                continue
            self.connected.set()
            with connection:
                for byte in HEADERS:
                    if self.stop.wait(1):
                        return
                    try:
                        connection.send(bytes([byte]))
                    except OSError:
                        break


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = self.failed = 0
        self.failures = []

    def add(self, failure=None):
        with self.lock:
            self.sent += 1
            if failure is not None:
                self.failed += 1
                if len(self.failures) < KEPT_FAILURES:
                    self.failures.append(failure)


def get(port, path, timeout):
    """(status, None) of one GET on a new connection, or (None, why it failed)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, None
    except OSError as error:
        return None, f"GET {path}: {error!r}"
    finally:
        connection.close()


def ordinary_traffic(port, path, stop, tally):
    while not stop.is_set():
        status, failure = get(port, path, NORMAL_TIMEOUT)
        if failure is None and status != 200:
            failure = f"GET {path}: {status}"
        tally.add(failure)
        stop.wait(0.05)


def measure(port, slow, seconds, path="/"):
    stop = threading.Event()
    tricklers = [Trickle(port, stop) for _ in range(slow)]
    for trickler in tricklers:
        trickler.start()
    time.sleep(2)  # let them connect and start trickling
    tally = Tally()
    normal = [threading.Thread(target=ordinary_traffic, args=(port, path, stop, tally), daemon=True)
              for _ in range(NORMAL_CLIENTS)]
    for client in normal:
        client.start()
    answered = asked = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        asked += 1
        status, _ = get(port, "/healthz", 1)
        answered += status == 200
        time.sleep(0.2)
    stop.set()
    for client in normal:
        client.join(NORMAL_TIMEOUT + 1)
    return {"slow": slow, "connected": sum(t.connected.is_set() for t in tricklers),
            "health_asked": asked, "health_answered": answered, "normal_sent": tally.sent,
            "normal_failed": tally.failed, "failures": tally.failures}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--slow", type=int, nargs="+", default=[5, 200])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--path", default="/", help="of the ordinary requests (default /)")
    parser.add_argument("--json", action="store_true", help="one JSON object per --slow count")
    args = parser.parse_args()
    for slow in args.slow:
        result = measure(args.port, slow, args.seconds, args.path)
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            print(f"{slow} slow clients ({result['connected']} connected): "
                  f"{result['health_answered']}/{result['health_asked']} GET /healthz answered "
                  f"within 1 s; {result['normal_failed']} of {result['normal_sent']} ordinary "
                  f"requests failed", flush=True)


if __name__ == "__main__":
    main()
