"""Flask's signed cookie session, opened only for the requests that carry one.

Once SECRET_KEY is set, Flask builds a signing serializer for every request and saves the
session after it, used or not; a JSON service that never touches ``flask.session`` pays that on
every request. Here a request without a session cookie gets an empty session at no cost, and an
empty session that nothing read or changed is not saved. Sessions that are used work as in Flask.
"""

from flask.sessions import SecureCookieSessionInterface


class SessionOnDemand(SecureCookieSessionInterface):
    def open_session(self, app, request):
        if app.secret_key and not self.carries_session_cookie(app, request):
            return self.session_class()
        return super().open_session(app, request)

    def carries_session_cookie(self, app, request):
        # Parsing the Cookie header costs more than the rest of this class; most requests have
        # no such header, or one without the name, which a substring test already rules out.
        name = self.get_cookie_name(app)
        return name in request.environ.get("HTTP_COOKIE", "") and name in request.cookies

    def save_session(self, app, session, response):
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)
