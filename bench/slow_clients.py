"""Slow clients against a server on 127.0.0.1: while N connections send their request headers a
byte a second (slowloris), a normal client asks GET /healthz every 0.2 s; prints how many of its
requests were answered within a second.

    bench/out/venv/bin/python bench/slow_clients.py PORT --slow 5 200 --seconds 10

Start the server to measure yourself (gunicorn as gunicorn.conf.py sets it up, or behind a proxy);
this only connects to 127.0.0.1.
"""

import argparse
import socket
import threading
import time
import urllib.request

HEADERS = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 10_000


def trickle(port, stop):
    try:
        connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    except OSError:
        return
    with connection:
        for byte in HEADERS:
            if stop.wait(1):
                return
            try:
                connection.send(bytes([byte]))
            except OSError:
                return


def answered_within_a_second(port, slow, seconds):
    stop = threading.Event()
    clients = [threading.Thread(target=trickle, args=(port, stop), daemon=True)
               for _ in range(slow)]
    for client in clients:
        client.start()
    time.sleep(2)  # let them connect and start trickling
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    answered = asked = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        asked += 1
        try:
            with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                answered += response.status == 200
        except OSError:
            pass
        time.sleep(0.2)
    stop.set()
    return answered, asked


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--slow", type=int, nargs="+", default=[5, 200])
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    for slow in args.slow:
        answered, asked = answered_within_a_second(args.port, slow, args.seconds)
        print(f"{slow} slow clients: {answered}/{asked} GET /healthz answered within 1 s")


if __name__ == "__main__":
    main()
