"""Every server of the benchmark starts with this file: the settings of BENCH_BASE_CONF (the
rendered project's gunicorn.conf.py, or bare_gunicorn.conf.py), then the bench's own choices."""

import os

__file__ = os.environ["BENCH_BASE_CONF"]
with open(__file__, encoding="utf-8") as _file:
    exec(compile(_file.read(), __file__, "exec"), globals())

if os.environ.get("BENCH_ACCESS_LOG") == "off":
    accesslog = None
