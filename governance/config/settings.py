"""Tollgate settings: everything comes from the environment (see .env.example).

Defaults suit a laptop: SQLite under var/, tasks run eagerly, e-mail to the console.
Production deployments use governance.config.settings_production, which refuses to start
without SECRET_KEY and ALLOWED_HOSTS.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from governance.config.logging import logging_config
from governance.sso import oidc_apps, parse_role_map, saml_apps, sign_in_origins

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(environ.Env().str("TOLLGATE_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# A .env file is optional; real environment variables always win over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _development_secret_key() -> str:
    """Return a per-checkout key kept under var/, so a laptop never runs on a key in git."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "governance.apps.TollgateAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # Kept only so migration 0022 can delete the plain-text keys it stored (knox replaced it).
    "rest_framework.authtoken",
    "knox",
    "axes",
    "csp",
    "django_filters",
    "drf_spectacular",
    # Swagger UI and ReDoc served from our own static files: the docs work offline.
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "auditlog",
    # Single sign-on (OIDC, SAML): allauth's social accounts; its local-account views are not
    # routed (governance/config/urls.py), Django's own login page stays the one login page.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    # Always installed (it has no models): its routes answer 404 for an organization that is
    # not configured, and the tests can configure a SAML IdP at run time.
    "allauth.socialaccount.providers.saml",
    "rules.apps.AutodiscoverRulesConfig",
    "vendors",
    "governance.apps.GovernanceConfig",
]

MIDDLEWARE = [
    # Outermost: every response, a redirect or a static file too, carries X-Request-ID.
    "governance.config.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "governance.config.middleware.LoginRequiredMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "governance.config.middleware.PermissionsPolicyMiddleware",
    # Inside CSP's, so the site's 404/500 pages it puts in place of the debug pages get the policy.
    "governance.config.middleware.DebugErrorPagesMiddleware",
    # After authentication, so the audit trail knows who acted (API users resolve lazily).
    "governance.config.middleware.ActorMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "governance.config.urls"
WSGI_APPLICATION = "governance.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'tollgate.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache: per-process memory unless CACHE_URL names a shared one (redis://host:6379/1).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://tollgate")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A Redis that stops answering must fail fast, not hang the request that asked it.
    CACHES["default"].setdefault("OPTIONS", {}).update(socket_timeout=1, socket_connect_timeout=1)

AUTHENTICATION_BACKENDS = [
    # First: refuses every sign-in (page, admin, API token) of a locked-out username and address.
    "axes.backends.AxesStandaloneBackend",
    # Passwords (refused when TOLLGATE_LOCAL_PASSWORDS is off) and role (group) permissions.
    "governance.config.backends.LocalPasswordBackend",
    # Signs no one in; kept so sessions signed in through it while it existed stay valid
    # (Django drops a session whose backend is no longer listed).
    "governance.permissions.RolePermissionBackend",
    # Object-level checks only: the role permission narrowed by governance/permissions.py rules.
    "governance.permissions.TollgatePermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Single sign-on (docs/sso.md) ---------------------------------------------------------
# Local passwords: the login page's password form, password reset and change, the admin's own
# login form and POST /api/v1/auth/token/ with a username and password. On by default here
# (laptops, tests, `make run`); production settings turn them off unless set to true.
TOLLGATE_LOCAL_PASSWORDS = env.bool("TOLLGATE_LOCAL_PASSWORDS", default=True)
# Which claim (OIDC) or attribute (SAML) carries the person's IdP groups, and which Tollgate
# roles each group grants: a JSON object, {"tollgate-security": "security", "fin": ["finance"]}.
# Roles follow the groups at every SSO sign-in: granted, and taken away.
TOLLGATE_SSO_GROUPS_CLAIM = env.str("TOLLGATE_SSO_GROUPS_CLAIM", default="groups")
TOLLGATE_SSO_ROLE_MAP = parse_role_map(env.str("TOLLGATE_SSO_ROLE_MAP", default=""))
SOCIALACCOUNT_PROVIDERS = {
    # PKCE as well as the client secret: a stolen authorization code is worth nothing.
    "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": oidc_apps(env)},
}
if _saml := saml_apps(env):
    SOCIALACCOUNT_PROVIDERS["saml"] = {"APPS": _saml}
ACCOUNT_ADAPTER = "governance.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "governance.adapters.SocialAccountAdapter"
# The IdP is the authority on who someone is: their first sign-in makes the account without a
# form, and an e-mail address is neither verified again nor required to be unique here.
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_REQUIRED = False
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = False
# Never link an SSO identity to an existing local account by e-mail: whoever controls an IdP
# account with that address would take the local account over.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
# Sign-in starts with a POST from the login page (CSRF-protected), never a bare link.
SOCIALACCOUNT_LOGIN_ON_GET = False
# Provider tokens are not kept: Tollgate only needs the identity and the groups.
SOCIALACCOUNT_STORE_TOKENS = False

# --- Sign-in hardening --------------------------------------------------------------------
# An idle session ends after SESSION_IDLE_TIMEOUT seconds (8 hours by default): every request
# saves the session, so its expiry moves with use and only idleness ends it.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT", default=8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True

# Password guessing (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one address, the login page, the admin and /api/v1/auth/token/ refuse that pair for
# AXES_COOLOFF_MINUTES (HTTP 429 with Retry-After), the right password included. Keyed on the
# pair, so a guesser cannot lock a person out from elsewhere.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "governance.config.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Sign-ins are logged by the request log already; axes keeps only the failures it counts.
AXES_DISABLE_ACCESS_LOG = True
if AXES_FAILURE_LIMIT < 1 or timedelta(0) >= AXES_COOLOFF_TIME:
    raise ImproperlyConfigured("AXES_FAILURE_LIMIT and AXES_COOLOFF_MINUTES must be > 0.")

# Browsers run only this site's own scripts: no inline script or event handler anywhere
# (templates/ has none; the admin's are static files). Inline style attributes stay allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        # The SSO buttons post here and are redirected to the identity provider, which
        # form-action governs too: the IdP's origin (from its URL, and TOLLGATE_CSP_FORM_ACTION
        # when its sign-in page is on another origin than the one configured).
        "form-action": [
            SELF,
            *sign_in_origins(SOCIALACCOUNT_PROVIDERS),
            *env.list("TOLLGATE_CSP_FORM_ACTION", default=[]),
        ],
        "frame-ancestors": [NONE],
    }
}
# Powerful browser features the application never uses are switched off for every page.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))

# Uploads (evidence, packets) are private: no MEDIA_URL is routed, files are only
# streamed by permission-checked views. Keep MEDIA_ROOT outside any web root.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Stored files are readable by the service's account (and its group, e.g. a backup agent) only:
# Django chmods every file it writes to local disk, whatever the process umask (0644 by default
# on most systems). Octal strings, e.g. FILE_UPLOAD_PERMISSIONS=0600. S3 objects are private
# through their ACL instead (default_acl below).
FILE_UPLOAD_PERMISSIONS = int(env.str("FILE_UPLOAD_PERMISSIONS", default="0640"), 8)
FILE_UPLOAD_DIRECTORY_PERMISSIONS = int(
    env.str("FILE_UPLOAD_DIRECTORY_PERMISSIONS", default="0750"), 8
)
if FILE_UPLOAD_PERMISSIONS & 0o137 or FILE_UPLOAD_DIRECTORY_PERMISSIONS & 0o027:
    raise ImproperlyConfigured(
        "FILE_UPLOAD_PERMISSIONS may grant at most 0640 and FILE_UPLOAD_DIRECTORY_PERMISSIONS"
        " at most 0750: evidence must not be readable by other accounts."
    )
# A name only: no URL pattern serves it, so uploads are reachable solely through the
# permission-checked download views (Django's test live server needs it to be a string).
MEDIA_URL = "/private-media/"
# Files (evidence, packets, import uploads) are on local disk unless TOLLGATE_S3_BUCKET names a
# bucket of an S3-compatible store, which every web node and worker then shares. Credentials
# come from boto3's own chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, a role).
TOLLGATE_S3_BUCKET = env.str("TOLLGATE_S3_BUCKET", default="")
_default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if TOLLGATE_S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": TOLLGATE_S3_BUCKET,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "location": env.str("TOLLGATE_S3_PREFIX", default=""),
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            # Private objects, never a public URL: views stream them after permission checks.
            "default_acl": None,
            "querystring_auth": True,
            # As on disk: a name in use gets a new one, so deleting one row's file never
            # removes another's (two items of one assessment may carry the same evidence).
            "file_overwrite": False,
        },
    }
# The chain's anchors: after every appended packet, a signed checkpoint of the chain's head is
# written here, somewhere the database's owner cannot rewrite (in production a write-once
# bucket, e.g. S3 Object Lock, or a directory another account owns). See docs/tamper.md.
TOLLGATE_ANCHOR_DIR = env.str("TOLLGATE_ANCHOR_DIR", default=str(VAR_DIR / "anchors"))
_anchor_storage = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": TOLLGATE_ANCHOR_DIR},
}
if env.str("TOLLGATE_ANCHOR_S3_BUCKET", default=""):
    _anchor_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("TOLLGATE_ANCHOR_S3_BUCKET"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "default_acl": None,
            "file_overwrite": False,
        },
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "anchors": _anchor_storage,
}
# Anchors are signed (HMAC-SHA256) with this key, kept out of the database; empty derives one
# from SECRET_KEY. Rotating it makes older anchors unverifiable: keep the old key to check them.
TOLLGATE_ANCHOR_KEY = env.str("TOLLGATE_ANCHOR_KEY", default="")
# Each anchor is also e-mailed here (comma-separated; empty: no e-mail).
TOLLGATE_ANCHOR_EMAIL = env.list("TOLLGATE_ANCHOR_EMAIL", default=[])

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="tollgate@localhost")

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# No broker configured: run tasks in-process so a laptop needs nothing else installed.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Redis keeps a message a worker took but never acknowledged (the worker was killed) and gives it
# to another worker once it is this old: a lost render or import runs again within minutes, not
# Redis's default hour. A task still running past it is delivered twice, which every task
# survives (they are idempotent); keep it above the longest render. Workers look for such
# messages every tenth of it (at most every 30 s). RabbitMQ redelivers at once when the
# connection drops and ignores this.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=300)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": max(1, min(30, CELERY_VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "governance.tasks.heartbeat", "schedule": 300.0},
    # Hourly: every signed subject's digest and the whole packet chain re-checked against the
    # latest anchor; security hears of any mismatch.
    "integrity-sweep": {
        "task": "governance.tasks.integrity_sweep",
        "schedule": crontab(minute=40),
    },
    # Every 3 minutes: renders and imports stuck past TOLLGATE_STUCK_AFTER are queued again.
    "stuck-work": {"task": "governance.tasks.requeue_stuck_work", "schedule": 180.0},
    # Daily: lapsed verdicts and exceptions need review; 30/7-day reminders to owners.
    "vendors-rereview": {
        "task": "vendors.tasks.rereview_sweep",
        "schedule": crontab(hour=5, minute=0),
    },
    # Daily: vendor contacts are reminded of an unanswered questionnaire before its link expires.
    "questionnaire-reminders": {
        "task": "vendors.tasks.questionnaire_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    # Daily: approved pilots start on their planned date (missed days are caught up).
    "pilots-start": {
        "task": "governance.tasks.start_due_pilots",
        "schedule": crontab(hour=5, minute=10),
    },
    # Daily: kill criteria judged at each checkpoint that has come (missed days caught up).
    "pilots-checkpoints": {
        "task": "governance.tasks.evaluate_due_checkpoints",
        "schedule": crontab(hour=5, minute=20),
    },
    # Hourly: owner and finance hear of a checkpoint 7 days ahead and once it is evaluated.
    "checkpoint-reminders": {
        "task": "governance.tasks.send_checkpoint_reminders",
        "schedule": crontab(minute=40),
    },
    # Daily: a model version past its vendor's deprecation date is a switch to its successor.
    "model-deprecations": {
        "task": "governance.tasks.model_switches_from_deprecations",
        "schedule": crontab(hour=5, minute=30),
    },
    # Weekly: finance is told which pilots and programs still lack this quarter's review.
    "reviews-due": {
        "task": "governance.tasks.notify_reviews_due",
        "schedule": crontab(day_of_week=1, hour=6, minute=0),
    },
}

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes unauthenticated API calls a 401.
        # Scoped service tokens (tgs_...) before user tokens, which would reject them.
        "governance.api.auth.ServiceTokenAuthentication",
        # A person's tokens (django-rest-knox): stored hashed, one per sign-in, expiring.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["governance.permissions.RolePermission"],
    # JSON nested too deep is a 400 that says so (DRF's own parser lets it become a 500).
    # JSON only: an operation that also advertised form and multipart bodies made generated
    # clients (openapi-python-client) emit modules that do not import. Upload endpoints name
    # MultiPartParser themselves.
    "DEFAULT_PARSER_CLASSES": ["vendors.kit.parsers.SafeJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "governance.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "vendors.kit.schema.AutoSchema",
    "EXCEPTION_HANDLER": "governance.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tollgate API",
    "DESCRIPTION": "Vendor review, approved-provider shortlist, pilots, measurements, ROI and "
    "signed packets for enterprise AI coding tools.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoutingTierEnum": "vendors.choices.RoutingTier",
        "ComplexityTierEnum": "governance.choices.Tier",
        "VerifyOutcomeEnum": "governance.choices.VerifyOutcome",
        # Keeps the name pilots' outcome had before packet verification got an outcome too.
        "OutcomeEnum": "governance.choices.PilotOutcome",
        "SignOffDecisionEnum": "governance.choices.Decision",
        "ReviewDecisionEnum": "governance.choices.ReviewDecision",
        "SpendScopeEnum": "governance.choices.SpendScope",
        "ReviewScopeEnum": "governance.choices.ReviewScope",
        "PacketKindEnum": "governance.choices.PacketKind",
        "ImportKindEnum": "governance.models.evidence.ImportKind",
        "SpendCategoryEnum": "governance.choices.SpendCategory",
        "BenefitCategoryEnum": "governance.choices.BenefitCategory",
        "FrameworkSourceEnum": "vendors.choices.FrameworkSource",
        "SourceEnum": "governance.choices.Source",
    },
    # The schema describes internal endpoints; only signed-in users and clients may read it.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# A person's API token (POST /api/v1/auth/token/) lasts API_TOKEN_TTL_HOURS; each sign-in
# makes a new one, POST /api/v1/auth/logout/ revokes it. Only its hash is stored.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=10)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# --- Audit trail --------------------------------------------------------------------------
# Every model of the domain apps is tracked without per-model code; framework tables and
# secrets (tokens, sessions, password hashes) are excluded.
AUDITLOG_INCLUDE_ALL_MODELS = True
# Audit entries are sealed (PostgreSQL refuses UPDATE): a transactional test's reload of the
# migrations' rows must not rewrite them (its serializer keeps only milliseconds).
TEST_NON_SERIALIZED_APPS = ["auditlog"]
AUDITLOG_EXCLUDE_TRACKING_MODELS = (
    "admin",
    "auditlog",
    "authtoken",
    "knox",
    "axes",
    # allauth's e-mail rows and provider tokens (Tollgate stores none) are no one's evidence;
    # a person's roles changing at sign-in is its own entry (governance/services/sso.py).
    "account",
    "socialaccount.socialtoken",
    "contenttypes",
    "sessions",
    "django_celery_beat",
    "auth.permission",
    "governance.workerheartbeat",
    # Imported evidence arrives by the million; its audit entry is the ImportRun (who, the
    # file's digest, the counts), and the rows themselves are what the source system said.
    "governance.pullrequest",
    "governance.pullrequestreview",
    "governance.escapeddefect",
    "governance.gatewayrequest",
    "governance.gatewaydaily",
    "governance.gatewaymonthly",
    "governance.copilotuserday",
    "governance.copilotorgday",
    "governance.teammetricvalue",
)
# An SSO client secret (socialaccount.socialapp) is a secret like a password.
AUDITLOG_EXCLUDE_TRACKING_FIELDS = ("password", "last_login", "key", "token_hash", "secret")
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- Tollgate -----------------------------------------------------------------------------
TOLLGATE_DEMO_PASSWORD = env.str("TOLLGATE_DEMO_PASSWORD", default="")
# Under CI a missing PostgreSQL, broker or worker must fail the run, never skip tests.
TOLLGATE_REQUIRE_SERVICES = env.bool("TOLLGATE_REQUIRE_SERVICES", default=False)
# /readyz fails when no worker ran the heartbeat (scheduled every 300 s) for this long.
TOLLGATE_READY_HEARTBEAT_MAX_AGE = env.int("TOLLGATE_READY_HEARTBEAT_MAX_AGE", default=900)
# A render or import that has not moved for this long (seconds) is queued again by the sweep,
# and a person may retry it; above CELERY_VISIBILITY_TIMEOUT, so the broker's own redelivery
# comes first. A packet whose worker died this many times is failed instead.
TOLLGATE_STUCK_AFTER = env.int("TOLLGATE_STUCK_AFTER", default=600)
TOLLGATE_STUCK_MAX_ATTEMPTS = env.int("TOLLGATE_STUCK_MAX_ATTEMPTS", default=3)
# How long an import waits for the one running before it (seconds) before it fails.
TOLLGATE_IMPORT_LOCK_WAIT = env.int("TOLLGATE_IMPORT_LOCK_WAIT", default=900)
# Approved-provider shortlist policy.
TOLLGATE_SHORTLIST_MIN_PROVIDERS = env.int("TOLLGATE_SHORTLIST_MIN_PROVIDERS", default=2)
TOLLGATE_SHORTLIST_MAX_PROVIDERS = env.int("TOLLGATE_SHORTLIST_MAX_PROVIDERS", default=3)
TOLLGATE_SHORTLIST_REQUIRE_ON_PREM = env.bool("TOLLGATE_SHORTLIST_REQUIRE_ON_PREM", default=True)
# How apps notify people (in-app list + e-mail); a dotted path so vendors need not import it.
# A new model version taking this share of a pilot's requests to its model family on a day
# is a model switch (docs/model-lifecycle.md).
TOLLGATE_MODEL_SWITCH_SHARE = env.float("TOLLGATE_MODEL_SWITCH_SHARE", default=0.5)
if not 0 < TOLLGATE_MODEL_SWITCH_SHARE <= 1:
    raise ImproperlyConfigured("TOLLGATE_MODEL_SWITCH_SHARE is a share between 0 and 1.")

TOLLGATE_NOTIFIER = "governance.services.notifications.notify"
# Where people reach Tollgate: the questionnaire links emailed to vendor contacts start here.
TOLLGATE_BASE_URL = env.str("TOLLGATE_BASE_URL", default="http://localhost:8000").rstrip("/")
# Largest evidence file accepted (bytes).
TOLLGATE_EVIDENCE_MAX_BYTES = env.int("TOLLGATE_EVIDENCE_MAX_BYTES", default=20 * 1024 * 1024)
# How far an Office evidence file (a ZIP archive) may expand when opened: total bytes, the ratio
# of expanded to stored size (zip bombs reach 1000:1; real documents stay under 30:1) and entries.
TOLLGATE_EVIDENCE_ARCHIVE_MAX_BYTES = env.int(
    "TOLLGATE_EVIDENCE_ARCHIVE_MAX_BYTES", default=100 * 1024 * 1024
)
TOLLGATE_EVIDENCE_ARCHIVE_MAX_RATIO = env.int("TOLLGATE_EVIDENCE_ARCHIVE_MAX_RATIO", default=100)
TOLLGATE_EVIDENCE_ARCHIVE_MAX_ENTRIES = env.int(
    "TOLLGATE_EVIDENCE_ARCHIVE_MAX_ENTRIES", default=10_000
)

# One line per event on stderr from web, workers and beat: `text` for people (the default here),
# `json` for log shippers (the production default); see governance/config/logging.py.
TOLLGATE_LOG_FORMAT = env.str("TOLLGATE_LOG_FORMAT", default="text")
LOGGING = logging_config(log_format=TOLLGATE_LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
