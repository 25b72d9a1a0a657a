"""Response headers every page carries, and the one check for where a `next` redirect may go."""
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request, session

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


def register_security_headers(app: Flask) -> None:
    @app.before_request
    def refuse_nul_in_url():
        # PostgreSQL refuses NUL in text; no real link holds one. Forms get a field error instead (forum.forms).
        args = request.args.items(multi=True)
        if "\x00" in request.path or any("\x00" in key or "\x00" in value for key, value in args):
            abort(400)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")  # for browsers that predate frame-ancestors
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
        if current_app.config["FORUM_HTTPS"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if carries_sign_in() and request.endpoint != "static":
            headers["Cache-Control"] = "no-store"  # a member's page must not outlive the visit in any cache
        return response


def carries_sign_in() -> bool:
    """Whether this request or its response holds a sign-in: judged by the session and the remember-me cookie,
    never by loading the user (a page that did not need the user, or a static file, must not query for it).
    A revoked cookie still counts: a page shown to it costs a cache miss at most."""
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return "_user_id" in session or remember_cookie in request.cookies


def safe_next_url(target: str | None) -> str | None:
    """Return target if it is a path on this site, else None.

    Browsers treat `//host`, `/\\host` and `\\\\host` as other sites, and strip tabs and newlines before they
    parse, so anything but a plain absolute path with no scheme, host or backslash is refused.
    """
    if not target or len(target) > 2000:
        return None
    if any(ch in target for ch in "\\\t\r\n\x00") or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
