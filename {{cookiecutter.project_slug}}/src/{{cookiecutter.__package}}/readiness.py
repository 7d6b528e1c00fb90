"""A registry of readiness checks: callables that raise or return False when not ready.

/readyz runs every check at once, each in a thread of its own with the app's context, and waits
at most READINESS_TIMEOUT seconds in all, so that the answer comes before the probe gives up: a
check still running then counts as not ready. A check is never run twice at a time: a probe that
comes while it runs waits for that same run (under load, probes overlap), so a dependency that
hangs costs one thread, not one per probe.
"""

import threading
import time

CHECKS_KEY = "readiness_checks"
RUNNING_KEY = "readiness_checks_running"
REASON_LENGTH = 200  # of a failure's one-line log message
PENDING = object()


def add_readiness_check(app, name, check):
    checks = app.extensions.setdefault(CHECKS_KEY, {})
    if name in checks:
        raise ValueError(f"a readiness check named {name!r} is already registered: "
                         "give the new one a name of its own")
    checks[name] = check


class CheckRun(threading.Thread):
    """One run of a check: ``outcome`` is None when ready, else why not."""

    def __init__(self, app, name, check):
        super().__init__(daemon=True, name=f"readiness-{name}")
        self.app, self.check, self.outcome = app, check, PENDING

    def run(self):
        with self.app.app_context():
            try:
                self.outcome = None if self.check() else "returned False"
            except Exception as error:
                reason = " ".join(f"{type(error).__name__}: {error}".split())
                self.outcome = f"raised {reason[:REASON_LENGTH]}"


def current_runs(app, checks):
    """A run of each check: the one still going, or a new one."""
    running = app.extensions.setdefault(RUNNING_KEY, {"lock": threading.Lock(), "runs": {}})
    with running["lock"]:
        for name, check in checks.items():
            run = running["runs"].get(name)
            if run is None or not run.is_alive():
                run = running["runs"][name] = CheckRun(app, name, check)
                run.start()
        return {name: running["runs"][name] for name in checks}


def failed_checks(app):
    """The names of the checks that failed or ran out of time, in the order they were added."""
    runs = current_runs(app, app.extensions.get(CHECKS_KEY, {}))
    timeout = app.config["READINESS_TIMEOUT"]
    deadline = time.monotonic() + timeout
    for run in runs.values():
        run.join(max(0.0, deadline - time.monotonic()))
    failed = []
    for name, run in runs.items():
        why = run.outcome
        if why is PENDING:
            why = f"did not answer within {timeout} s"
        if why is not None:
            app.logger.warning("readiness check %s failed: %s", name, why)
            failed.append(name)
    return failed
