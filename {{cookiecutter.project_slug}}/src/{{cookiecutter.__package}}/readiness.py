"""A registry of readiness checks: callables that raise or return False when not ready.

/readyz runs every check at once, each in a thread of its own with the app's context, and waits
at most READINESS_TIMEOUT seconds in all, so that the answer comes before the probe gives up: a
check still running then counts as not ready. Its thread ends whenever the check does; until
then, later probes count that check as not ready without starting it again, so a dependency that
hangs costs one thread, not one per probe.
"""

import threading
import time

CHECKS_KEY = "readiness_checks"
RUNNING_KEY = "readiness_checks_running"
REASON_LENGTH = 200  # of a failure's one-line log message


def add_readiness_check(app, name, check):
    checks = app.extensions.setdefault(CHECKS_KEY, {})
    if name in checks:
        raise ValueError(f"a readiness check named {name!r} is already registered: "
                         "give the new one a name of its own")
    checks[name] = check


def failed_checks(app):
    """The names of the checks that failed or ran out of time, in the order they were added."""
    checks = app.extensions.get(CHECKS_KEY, {})
    running = app.extensions.setdefault(RUNNING_KEY, {"lock": threading.Lock(), "threads": {}})
    outcomes = {}  # name: None when ready, else why not

    def run(name, check):
        with app.app_context():
            try:
                outcomes[name] = None if check() else "returned False"
            except Exception as error:
                reason = " ".join(f"{type(error).__name__}: {error}".split())
                outcomes[name] = f"raised {reason[:REASON_LENGTH]}"

    started = []
    with running["lock"]:
        for name, check in checks.items():
            earlier = running["threads"].get(name)
            if earlier is not None and earlier.is_alive():
                outcomes[name] = "still running since an earlier probe"
                continue
            thread = threading.Thread(target=run, args=(name, check), daemon=True,
                                      name=f"readiness-{name}")
            running["threads"][name] = thread
            thread.start()
            started.append(thread)
    timeout = app.config["READINESS_TIMEOUT"]
    deadline = time.monotonic() + timeout
    for thread in started:
        thread.join(max(0.0, deadline - time.monotonic()))
    outcomes = dict(outcomes)  # late checks no longer count
    failed = []
    for name in checks:
        why = outcomes.get(name, f"did not answer within {timeout} s")
        if why is not None:
            app.logger.warning("readiness check %s failed: %s", name, why)
            failed.append(name)
    return failed
