"""Keys made at test time, tokens signed with them, and a real JWKS endpoint on 127.0.0.1.

The ``app`` fixture trusts TEST_KEY: ``client.get("/me", headers=bearer("profile"))``.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ISSUER = "https://issuer.example.com/"
AUDIENCE = "https://api.example.com"


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


# The key of the tests' identity provider: the ``app`` fixture trusts it, ``bearer`` signs with it.
TEST_KEY = rsa_key()


def public_pem(private_key):
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def public_jwk(private_key, kid):
    algorithm = jwt.algorithms.RSAAlgorithm if isinstance(private_key, rsa.RSAPrivateKey) else (
        jwt.algorithms.ECAlgorithm)
    return {**json.loads(algorithm.to_jwk(private_key.public_key())), "kid": kid, "use": "sig"}


def claims(**overrides):
    now = int(time.time())
    values = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-42", "iat": now, "nbf": now,
              "exp": now + 300, "scope": "profile"}
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def sign(private_key, algorithm="RS256", kid=None, **overrides):
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims(**overrides), private_key, algorithm=algorithm, headers=headers)


def trusting(private_key):
    """The settings that make an app accept tokens signed with ``private_key``."""
    return {"JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE,
            "JWT_PUBLIC_KEY": public_pem(private_key)}


def bearer(scope, private_key=TEST_KEY, **overrides):
    """Request headers with a valid token that grants ``scope`` (space-separated scopes)."""
    return {"Authorization": f"Bearer {sign(private_key, scope=scope, **overrides)}"}


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header, payload, secret=None):
    """A token built by hand: ``alg: none`` without a signature, or HMAC with ``secret``."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()) if (
        secret) else ""
    return f"{signing_input}.{signature}"


def tampered(token, **changes):
    """The token with its payload changed and its original signature kept."""
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(changes)
    return f"{header}.{b64(json.dumps(data).encode())}.{signature}"


class JWKSServer:
    """Serves a JWKS document on 127.0.0.1 and counts how often it is fetched."""

    def __init__(self, keys):
        self.document = {"keys": keys}
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.fetches += 1
                body = json.dumps(server.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
