import pytest
from flask import request

from {{ cookiecutter.__package }} import create_app

FORWARDED = {"X-Forwarded-For": "203.0.113.9, 198.51.100.4", "X-Forwarded-Proto": "https, https"}


def client_seen_by(proxies):
    app = create_app({"TESTING": True, "TRUSTED_PROXIES": proxies})

    @app.get("/test/client")
    def client_address():
        return {"address": request.remote_addr, "scheme": request.scheme}

    response = app.test_client().get("/test/client", headers=FORWARDED,
                                     environ_base={"REMOTE_ADDR": "10.0.0.2"})
    return response.get_json()


def test_without_trusted_proxies_forwarded_headers_are_ignored():
    assert client_seen_by(0) == {"address": "10.0.0.2", "scheme": "http"}


@pytest.mark.parametrize("proxies, address", [(1, "198.51.100.4"), (2, "203.0.113.9")])
def test_each_trusted_proxy_names_the_client_before_it(proxies, address):
    assert client_seen_by(proxies) == {"address": address, "scheme": "https"}
