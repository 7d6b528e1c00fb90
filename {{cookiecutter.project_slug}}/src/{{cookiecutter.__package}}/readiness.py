"""A registry of readiness checks: callables that raise or return False when not ready."""

CHECKS_KEY = "readiness_checks"


def add_readiness_check(app, name, check):
    app.extensions.setdefault(CHECKS_KEY, {})[name] = check


def failed_check(app):
    """Name of the first check that fails, or None when every check passes."""
    for name, check in app.extensions.get(CHECKS_KEY, {}).items():
        try:
            ready = check()
        except Exception:
            app.logger.warning("readiness check %s raised", name, exc_info=True)
            ready = False
        if not ready:
            return name
    return None
