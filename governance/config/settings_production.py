"""Production settings: the base settings, hardened, refusing to start half-configured."""

import environ
from django.core.exceptions import ImproperlyConfigured

from governance.config.logging import logging_config
from governance.config.settings import *  # noqa: F403

_env = environ.Env()


def _required(name: str) -> str:
    """Return a non-empty environment variable or stop the process with a clear message."""
    value = _env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set in the environment for production (see .env.example)."
        )
    return value


DEBUG = False
# Never fall back to the per-checkout development key in production.
SECRET_KEY = _required("SECRET_KEY")
ALLOWED_HOSTS = [h.strip() for h in _required("ALLOWED_HOSTS").split(",") if h.strip()]

# People sign in through the identity provider (docs/sso.md); local passwords are refused
# everywhere unless an operator turns them back on (a break-glass admin, a first setup).
TOLLGATE_LOCAL_PASSWORDS = _env.bool("TOLLGATE_LOCAL_PASSWORDS", default=False)

# X-Forwarded-Proto says "this came in over HTTPS" only when a proxy we run sets it (and strips
# any a client sent); without one, anyone could claim HTTPS. Operators behind such a proxy set
# TRUST_X_FORWARDED_PROTO=true (gunicorn accepts the header only from FORWARDED_ALLOW_IPS).
if _env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _env.bool("SECURE_SSL_REDIRECT", default=True)
# Load balancers ask these over plain HTTP on the private network; a redirect is not an answer.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = _env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = _env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# HSTS preload is a near-irreversible commitment for the whole domain; operators opt in with
# SECURE_HSTS_PRELOAD=true, so the deploy check should not nag about the default.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Static files served by the web nodes themselves (WhiteNoise), from hashed, compressed copies
# made by collectstatic in the release step: no separate static server to keep in step.
_after_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1  # noqa: F405
MIDDLEWARE = [
    *MIDDLEWARE[:_after_security],  # noqa: F405 - SecurityMiddleware, then WhiteNoise, as it documents
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[_after_security:],  # noqa: F405
]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Log shippers read one JSON object per line (stderr) from every process; text on request.
TOLLGATE_LOG_FORMAT = _env.str("TOLLGATE_LOG_FORMAT", default="json")
LOGGING = logging_config(
    log_format=TOLLGATE_LOG_FORMAT, level=_env.str("LOG_LEVEL", default="INFO")
)
