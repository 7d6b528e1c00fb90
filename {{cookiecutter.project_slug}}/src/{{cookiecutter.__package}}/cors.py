"""CORS for browser clients: only the origins in CORS_ORIGINS, none by default."""

from flask_cors import CORS

from .request_id import HEADER


def init_cors(app):
    if not app.config["CORS_ORIGINS"]:
        return  # no origin to allow: flask-cors would only add work to every request
    # Passed explicitly: flask-cors alone would allow every origin ("*") when the key is missing.
    # Other flask-cors settings (CORS_SUPPORTS_CREDENTIALS, CORS_MAX_AGE, ...) come from config.
    CORS(app, origins=app.config["CORS_ORIGINS"], expose_headers=[HEADER])
