"""Reverse proxies in front of the service: trust the X-Forwarded-* headers of as many as
TRUSTED_PROXIES says, and no more (a client can send those headers too)."""

from werkzeug.middleware.proxy_fix import ProxyFix


def init_proxies(app):
    count = app.config["TRUSTED_PROXIES"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
