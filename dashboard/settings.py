"""Settings for the Plannr execution monitor.

Every value comes from an environment variable, parsed strictly: a value that
cannot be parsed stops start-up with a message that names the variable, rather
than being silently replaced by a default. `.env.example` lists them all.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR") or BASE_DIR / "var")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name, default=""):
    """An empty or blank variable counts as unset."""
    return os.environ.get(name, "").strip() or default


def env_bool(name, default=False):
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of {sorted(_TRUE | _FALSE)}, got {raw!r}")


def env_int(name, default, *, minimum=None, maximum=None):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, got {value}")
    return value


def env_float(name, default, *, minimum=None):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name, default=()):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


# --- Core ---------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY in the environment "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"
# .env.example marks every value to replace with CHANGE: a copy of it that was
# never edited must not go live with a key anyone can read on GitHub. This stops
# every production process (web, worker, beat, migrate) and `check --deploy`.
if not DEBUG and SECRET_KEY.upper().startswith("CHANGE"):
    raise ImproperlyConfigured(
        "SECRET_KEY is still the placeholder from .env.example. Replace it with a random value "
        "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in ("http", "https") or not _site.hostname:
    raise ImproperlyConfigured(f"SITE_URL must be an absolute http(s) URL, got {SITE_URL!r}")
SITE_IS_HTTPS = _site.scheme == "https"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", _site.hostname])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [f"{_site.scheme}://{_site.netloc}"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "executions",
    "alerts",
    "monitors",
    "incidents",
    "simulator",
    "channels",
    "connections",
    "expectations",
    # Creates the Celery app in every Django process (dashboard/apps.py).
    "dashboard.apps.DashboardConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "dashboard.htmx.VaryOnHtmx",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

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

# --- Database -------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a worker writes; IMMEDIATE transactions
    # and a busy timeout make concurrent writers queue instead of failing.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # A file, not :memory:, so that worker subprocesses in tests see the test data.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "monitors:overview"
LOGOUT_REDIRECT_URL = "login"

# --- I18N / time ------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Hashed, compressed files need `collectstatic` first: on in production images,
# off for the embedded run and the tests, which serve straight from static/.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
# Without collected files (the embedded run, DEBUG off or on), whitenoise serves static/ itself.
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security -------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SITE_IS_HTTPS
CSRF_COOKIE_SECURE = SITE_IS_HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SITE_IS_HTTPS)
# Healthchecks call /healthz over plain HTTP from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SITE_IS_HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SITE_IS_HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Only our own scripts and styles: htmx is configured (meta htmx-config) not to
# inject inline styles and not to eval, so it runs under this policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Redis and Celery ---------------------------------------------------------------

# An empty REDIS_URL means "no Redis": the broker falls back to kombu's filesystem
# transport and the rate limiter to a per-process one (the embedded run does this).
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Without this kombu writes its broadcast exchanges to ./control.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # With acks_late an unacknowledged task comes back after this long; it must be
    # longer than the slowest task (a batch waiting on the shared rate budget).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 900, minimum=60)
    }
    if CELERY_BROKER_URL.startswith("redis://"):
        # kombu's Redis transport, minus the crash that stopped a worker holding
        # unacknowledged messages when Redis went away (dashboard/broker.py).
        CELERY_BROKER_TRANSPORT = "dashboard.broker:Transport"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Separate queues, so that no kind of work can hold up another: a receiver that never
# answers holds a deliveries worker for its read timeout, never a polling one. Production
# runs a worker per queue group (docker-compose.yml); the embedded run gives each queue
# its own threads in one process (dashboard/embedded_celery.py). A worker started without
# -Q consumes every queue. Tasks not routed here go to "celery" (housekeeping).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = {name: {"routing_key": name} for name in ("polling", "discovery", "deliveries", "celery")}
# Workers and beat record a heartbeat this often; /healthz?deep=1 reports one not seen for
# three periods (dashboard/heartbeat.py).
HEARTBEAT_SECONDS = env_int("HEARTBEAT_SECONDS", 10, minimum=1)
CELERY_BEAT_SCHEDULER = "dashboard.heartbeat:HeartbeatScheduler"
CELERY_TASK_ROUTES = {
    "executions.tasks.*": {"queue": "polling"},
    "monitors.tasks.discover": {"queue": "discovery"},
    "alerts.tasks.send_*": {"queue": "deliveries"},
    "channels.tasks.send_*": {"queue": "deliveries"},
}

# --- Plannr API -------------------------------------------------------------------------

PLANNR_BASE_URL = env_str("PLANNR_BASE_URL", "https://api.plannrcrm.com").rstrip("/")
PLANNR_API_TOKEN = env_str("PLANNR_API_TOKEN")
# The account the `default` connection acts for (X-PLANNR-ACCOUNT-UUID); chosen from
# /api/v1/logins when empty (docs/connections.md).
PLANNR_ACCOUNT_UUID = env_str("PLANNR_ACCOUNT_UUID")
# "Connect with Plannr" (OAuth2 authorization code) on the Connections page when both are set.
PLANNR_OAUTH_CLIENT_ID = env_str("PLANNR_OAUTH_CLIENT_ID")
PLANNR_OAUTH_CLIENT_SECRET = env_str("PLANNR_OAUTH_CLIENT_SECRET")
# A broken connection is told again to the Admins every this many hours.
CONNECTION_REMINDER_HOURS = env_int("CONNECTION_REMINDER_HOURS", 24, minimum=1)
# 200 UUIDs keep the request line under 8 KB, the default limit of common proxies.
PLANNR_BATCH_SIZE = env_int("PLANNR_BATCH_SIZE", 200, minimum=1, maximum=500)
PLANNR_CONNECT_TIMEOUT = env_float("PLANNR_CONNECT_TIMEOUT", 5.0, minimum=0.1)
PLANNR_READ_TIMEOUT = env_float("PLANNR_READ_TIMEOUT", 30.0, minimum=0.1)
PLANNR_RATE_LIMIT_PER_MINUTE = env_int("PLANNR_RATE_LIMIT_PER_MINUTE", 500, minimum=1)
# Statuses that mean "still running": anything else is finished (and unknown
# statuses are data, not errors).
PLANNR_RUNNING_STATUSES = [
    s.lower()
    for s in env_list(
        "PLANNR_RUNNING_STATUSES", ["in_progress", "pending", "queued", "running", "waiting"]
    )
]
PLANNR_FAILURE_STATUSES = [
    s.lower() for s in env_list("PLANNR_FAILURE_STATUSES", ["failed", "failure", "error", "errored"])
]

# --- Polling ------------------------------------------------------------------------------

POLL_INTERVAL_SECONDS = env_int("POLL_INTERVAL_SECONDS", 15, minimum=1)
POLL_DISPATCH_SECONDS = env_float("POLL_DISPATCH_SECONDS", 2.0, minimum=0.1)
POLL_BACKOFF_MAX_SECONDS = env_int("POLL_BACKOFF_MAX_SECONDS", 900, minimum=1)
# An execution Plannr answers 404 for is polled (with the back-off above) this many times
# in a row, then no more: about an hour with the default interval and back-off.
NOT_FOUND_GIVE_UP = env_int("NOT_FOUND_GIVE_UP", 10, minimum=1)
# Cap on a batch's claim (executions/scheduling.py: claim_seconds); the running batch renews it.
POLL_CLAIM_SECONDS = env_int("POLL_CLAIM_SECONDS", 300, minimum=5)
# After a 401, how long to wait before trying the token again.
POLL_UNAUTHORIZED_RETRY_SECONDS = env_int("POLL_UNAUTHORIZED_RETRY_SECONDS", 300, minimum=1)

# --- Watchlist ------------------------------------------------------------------------------

WATCH_PASTE_LIMIT = env_int("WATCH_PASTE_LIMIT", 1000, minimum=1)
WATCHLIST_PAGE_SIZE = env_int("WATCHLIST_PAGE_SIZE", 50, minimum=1, maximum=500)
# How often pages refresh while visible and while the tab is hidden.
UI_REFRESH_SECONDS = env_int("UI_REFRESH_SECONDS", 5, minimum=1)
UI_HIDDEN_REFRESH_SECONDS = env_int("UI_HIDDEN_REFRESH_SECONDS", 60, minimum=1)

# --- Monitors: discovery and retention ------------------------------------------------------

# How often beat sweeps every active monitor for new executions.
DISCOVERY_INTERVAL_SECONDS = env_int("DISCOVERY_INTERVAL_SECONDS", 60, minimum=1)
# A sweep re-reads this much history below a monitor's high-water mark: an execution
# Plannr stamps a little before one already seen is still found.
DISCOVERY_OVERLAP_SECONDS = env_int("DISCOVERY_OVERLAP_SECONDS", 60, minimum=0)
# Pages of up to 500 executions one sweep reads per scope before it stops and records its lag.
DISCOVERY_MAX_PAGES = env_int("DISCOVERY_MAX_PAGES", 10, minimum=1)
# Requests per rate-limit window that polling leaves unclaimed for discovery.
DISCOVERY_RESERVED_REQUESTS = env_int("DISCOVERY_RESERVED_REQUESTS", 25, minimum=0)
# Finished executions nobody watches are pruned after this many days (daily, in chunks).
RETENTION_DAYS = env_int("RETENTION_DAYS", 90, minimum=1)
RETENTION_CHUNK_SIZE = env_int("RETENTION_CHUNK_SIZE", 500, minimum=1)

# --- Email and alerts -----------------------------------------------------------------------

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Plannr monitor <alerts@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

ALERT_EMAILS_PER_HOUR = env_int("ALERT_EMAILS_PER_HOUR", 20, minimum=1)
ALERT_MAX_ATTEMPTS = env_int("ALERT_MAX_ATTEMPTS", 8, minimum=1)
ALERT_RETRY_BASE_SECONDS = env_int("ALERT_RETRY_BASE_SECONDS", 30, minimum=1)
ALERT_RETRY_MAX_SECONDS = env_int("ALERT_RETRY_MAX_SECONDS", 1800, minimum=1)
# A delivery claimed for longer than this is taken to belong to a dead worker.
ALERT_CLAIM_TIMEOUT_SECONDS = env_int("ALERT_CLAIM_TIMEOUT_SECONDS", 120, minimum=5)
ALERT_SWEEP_SECONDS = env_int("ALERT_SWEEP_SECONDS", 30, minimum=1)

# --- Incidents -------------------------------------------------------------------------------
# Occurrences within this many seconds of a new incident (or regression) go in its one alert.
INCIDENT_ALERT_WINDOW_SECONDS = env_int("INCIDENT_ALERT_WINDOW_SECONDS", 30, minimum=0)
# While an incident stays open, new occurrences are summarised at most this often.
INCIDENT_REMINDER_MINUTES = env_int("INCIDENT_REMINDER_MINUTES", 60, minimum=1)
# Stalls: an in-progress execution waiting for its next step longer than
# STALL_FACTOR x the 95th-percentile wait seen for that blueprint and step, and
# at least STALL_FLOOR_MINUTES, is stalled. Needs STALL_MIN_SAMPLES past waits.
STALL_FACTOR = env_float("STALL_FACTOR", 3.0, minimum=1.0)
STALL_FLOOR_MINUTES = env_int("STALL_FLOOR_MINUTES", 30, minimum=1)
STALL_MIN_SAMPLES = env_int("STALL_MIN_SAMPLES", 5, minimum=1)
INCIDENT_HOUSEKEEPING_SECONDS = env_int("INCIDENT_HOUSEKEEPING_SECONDS", 60, minimum=5)
# How often beat checks every expectation (docs/expectations.md); stored rows only.
EXPECTATION_CHECK_SECONDS = env_int("EXPECTATION_CHECK_SECONDS", 60, minimum=5)

# --- Alert channels (channels app) ------------------------------------------------------------

# Comma-separated Fernet keys, newest first; see docs/channels.md for rotation.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
# Lifts the network guard's refusal of loopback/private/link-local/metadata targets.
ALLOW_PRIVATE_WEBHOOK_TARGETS = env_bool("ALLOW_PRIVATE_WEBHOOK_TARGETS", False)
CHANNEL_CONNECT_TIMEOUT = env_float("CHANNEL_CONNECT_TIMEOUT", 5.0, minimum=0.1)
CHANNEL_READ_TIMEOUT = env_float("CHANNEL_READ_TIMEOUT", 10.0, minimum=0.1)
CHANNEL_MAX_PAYLOAD_BYTES = env_int("CHANNEL_MAX_PAYLOAD_BYTES", 262144, minimum=1024)
CHANNEL_WEBHOOK_MAX_EXECUTIONS = env_int("CHANNEL_WEBHOOK_MAX_EXECUTIONS", 50, minimum=0)
CHANNEL_BROKEN_AFTER_HOURS = env_float("CHANNEL_BROKEN_AFTER_HOURS", 24.0, minimum=0)

# --- Beat ------------------------------------------------------------------------------------

CELERY_BEAT_SCHEDULE = {
    "check-connections": {
        "task": "connections.tasks.check_connections",
        "schedule": POLL_INTERVAL_SECONDS,
        "options": {"expires": POLL_INTERVAL_SECONDS},
    },
    "dispatch-polls": {
        "task": "executions.tasks.dispatch_polls",
        "schedule": POLL_DISPATCH_SECONDS,
        "options": {"expires": max(POLL_DISPATCH_SECONDS * 2, 5)},
    },
    "discover-executions": {
        "task": "monitors.tasks.discover",
        "schedule": DISCOVERY_INTERVAL_SECONDS,
        "options": {"expires": DISCOVERY_INTERVAL_SECONDS},
    },
    "prune-executions": {
        "task": "monitors.tasks.prune",
        "schedule": 86400,
        "options": {"expires": 3600},
    },
    "sweep-alert-deliveries": {
        "task": "alerts.tasks.sweep_deliveries",
        "schedule": ALERT_SWEEP_SECONDS,
        "options": {"expires": ALERT_SWEEP_SECONDS * 2},
    },
    # Stalls, snoozes that ran out, and reminders that are due.
    "incident-housekeeping": {
        "task": "incidents.tasks.housekeeping",
        "schedule": INCIDENT_HOUSEKEEPING_SECONDS,
        "options": {"expires": INCIDENT_HOUSEKEEPING_SECONDS * 2},
    },
    "check-expectations": {
        "task": "expectations.tasks.check_expectations",
        "schedule": EXPECTATION_CHECK_SECONDS,
        "options": {"expires": EXPECTATION_CHECK_SECONDS * 2},
    },
    "sweep-channels": {
        "task": "channels.tasks.sweep_channels",
        "schedule": ALERT_SWEEP_SECONDS,
        "options": {"expires": ALERT_SWEEP_SECONDS * 2},
    },
}

# --- Logging ---------------------------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = env_str("LOG_FORMAT", "text").lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'text' or 'json', got {LOG_FORMAT!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secrets": {"()": "dashboard.logging.RedactSecretsFilter"},
        "client_errors_on_one_line": {"()": "dashboard.logging.ClientErrorsOnOneLineFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["client_errors_on_one_line", "redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # urllib3 logs full URLs at DEBUG; they hold execution UUIDs by the hundred.
        "urllib3": {"level": "WARNING"},
    },
}

# --- Accounts: roles, sign-in (allauth), 2FA, SSO, throttling, sessions, audit --------------
# One block, owned by the accounts app; docs in README "Accounts and sign-in".

INSTALLED_APPS += [
    "accounts",
    "audit",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.usersessions",
]
MIDDLEWARE += [
    "allauth.account.middleware.AccountMiddleware",
    # Request IP and actor for audit rows, the user's time zone, idle timeout, REQUIRE_2FA.
    "accounts.middleware.AccountsMiddleware",
    # Every URL is checked against accounts/rules.py (403 when the role may not).
    "accounts.middleware.RulesMiddleware",
]
TEMPLATES[0]["OPTIONS"]["context_processors"].append("accounts.context_processors.accounts")
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# The login page's throttle counts live in the default cache, which must be shared by
# every web process: Redis when there is one, else (the embedded run on the filesystem
# broker) files under VAR_DIR, which the web processes of one machine share.
if CELERY_BROKER_URL.startswith("filesystem://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
elif REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "plannr-monitor",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# HTML fragments rendered from the database (watchlist and table rows, their chips, head
# and pager, the steps of an execution page) are keyed by everything they show, so no
# copy is ever stale and each process keeps its own, in memory: a page reads 50 or 600
# of them at once, which costs a fraction of one Redis round trip there, and they stay
# out of the shared cache (and out of the login throttle's way in a 300-entry one). The
# price is one render per process per version of a row or step.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "OPTIONS": {"MAX_ENTRIES": 10_000},
}

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
ACCOUNT_LOGOUT_REDIRECT_URL = "login"
ACCOUNT_SESSION_REMEMBER = None
# A reset asked for an address no account uses sends nothing (and the page says the same
# as for a known one).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Failed sign-ins: at most LOGIN_FAILURES_PER_ACCOUNT per account (whatever the account,
# existing or not) and LOGIN_FAILURES_PER_IP per address, in LOGIN_FAILURE_WINDOW_MINUTES.
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=1)
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 20, minimum=1)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15, minimum=1)
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{LOGIN_FAILURES_PER_IP}/{LOGIN_FAILURE_WINDOW_MINUTES * 60}s/ip,"
        f"{LOGIN_FAILURES_PER_ACCOUNT}/{LOGIN_FAILURE_WINDOW_MINUTES * 60}s/key"
    ),
    # Every other door that takes a password, or sends a reset email, in the same window:
    # as many tries per user (change, reauthenticate) as a sign-in gets, and reset emails
    # per address (key) and per IP.
    "change_password": f"{LOGIN_FAILURES_PER_ACCOUNT}/{LOGIN_FAILURE_WINDOW_MINUTES * 60}s/user",
    "reauthenticate": f"{LOGIN_FAILURES_PER_ACCOUNT}/{LOGIN_FAILURE_WINDOW_MINUTES * 60}s/user",
    "reset_password": (
        f"{LOGIN_FAILURES_PER_IP}/{LOGIN_FAILURE_WINDOW_MINUTES * 60}s/ip,"
        f"3/{LOGIN_FAILURE_WINDOW_MINUTES * 60}s/key"
    ),
    "reset_password_from_key": f"{LOGIN_FAILURES_PER_IP}/{LOGIN_FAILURE_WINDOW_MINUTES * 60}s/ip",
}
# Behind a proxy, the number of proxies whose X-Forwarded-For entries to trust (for the
# per-IP throttle and the audit log's addresses).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# Two-factor: TOTP with recovery codes, and WebAuthn security keys (HTTPS only).
REQUIRE_2FA = env_bool("REQUIRE_2FA", False)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Plannr monitor")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Addresses are set by administrators, not verified by mail; 2FA must not wait for that.
MFA_ALLOW_UNVERIFIED_EMAIL = True

# Single sign-on with OpenID Connect (Microsoft Entra ID or any provider).
OIDC_SERVER_URL = env_str("OIDC_SERVER_URL").rstrip("/")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "Microsoft 365")
OIDC_SCOPES = env_list("OIDC_SCOPES", ["openid", "profile", "email"])
# A claim (e.g. "groups" or "roles") whose values map to roles: "value=Role,value=Role".
OIDC_ROLE_CLAIM = env_str("OIDC_ROLE_CLAIM")
OIDC_ROLE_MAP = {}
for _pair in env_list("OIDC_ROLE_MAP"):
    _value, _sep, _role = _pair.rpartition("=")
    if not _sep or _role.strip() not in ("Viewer", "Operator", "Admin") or not _value.strip():
        raise ImproperlyConfigured(f"OIDC_ROLE_MAP entries must be 'claim-value=Viewer|Operator|Admin', got {_pair!r}")
    OIDC_ROLE_MAP[_value.strip()] = _role.strip()
SSO_ENABLED = bool(OIDC_SERVER_URL)
if SSO_ENABLED and not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_SERVER_URL is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are required too")
PASSWORD_LOGIN_ENABLED = env_bool("PASSWORD_LOGIN_ENABLED", True)
if not PASSWORD_LOGIN_ENABLED and not SSO_ENABLED:
    raise ImproperlyConfigured("PASSWORD_LOGIN_ENABLED=false needs single sign-on (OIDC_SERVER_URL)")
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "sso",
                "name": OIDC_PROVIDER_NAME,
                "client_id": OIDC_CLIENT_ID,
                "secret": OIDC_CLIENT_SECRET,
                "settings": {"server_url": OIDC_SERVER_URL, "scope": OIDC_SCOPES},
            }
        ]
        if SSO_ENABLED
        else [],
    }
}

# Sessions end after SESSION_IDLE_HOURS without a request from the person (timed page
# refreshes do not count).
SESSION_IDLE_HOURS = env_float("SESSION_IDLE_HOURS", 8.0, minimum=0.1)
SESSION_COOKIE_AGE = int(SESSION_IDLE_HOURS * 3600)
USERSESSIONS_TRACK_ACTIVITY = False

AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 400, minimum=1)
CELERY_BEAT_SCHEDULE["prune-audit-log"] = {
    "task": "audit.tasks.prune_audit_log",
    "schedule": 24 * 3600,
    "options": {"expires": 3600},
}
# --- API and metrics (issue 10: the api and metrics apps) ----------------------------------------

INSTALLED_APPS += ["api", "metrics"]

# Requests a minute each API token (or signed-in browser) may make; past it, 429 + Retry-After.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 120, minimum=1)

# /metrics answers only a scrape that sends `Authorization: Bearer <METRICS_TOKEN>` or that
# comes from one of METRICS_ALLOWED_NETWORKS (CIDR list, checked against REMOTE_ADDR).
# With neither set, /metrics answers 403 to everyone: it is never open by default.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS")
try:
    import ipaddress as _ipaddress

    METRICS_ALLOWED_NETWORKS = [str(_ipaddress.ip_network(n, strict=False)) for n in METRICS_ALLOWED_NETWORKS]
except ValueError as _exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS must be CIDR networks: {_exc}") from None
# How often a worker recomputes the values that need the database (a scrape only reads them).
METRICS_REFRESH_SECONDS = env_int("METRICS_REFRESH_SECONDS", 15, minimum=1)
CELERY_BEAT_SCHEDULE["refresh-metrics"] = {
    "task": "metrics.tasks.refresh_metrics",
    "schedule": METRICS_REFRESH_SECONDS,
    "options": {"expires": METRICS_REFRESH_SECONDS * 2},
}
# Prometheus usually scrapes the container over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT += [r"^metrics$"]
# --- Personal data (issue 24: the privacy app; docs/personal-data.md) --------------------------

INSTALLED_APPS += ["privacy"]
# Pages show personal data only to roles with accounts.view_personal_data; others get it redacted.
MIDDLEWARE += ["privacy.middleware.RedactPagesMiddleware"]
# Redact the stored step info, messages, raw payload and account name before they are written.
# Off by default: with it on, pages, exports and erasure requests can no longer show or find
# the original values (a failure "for 07700 900123" is stored as "for [phone]").
REDACT_AT_REST = env_bool("REDACT_AT_REST", False)
