"""Background work and the outside world: Redis, Celery, caches, Plannr, polling, discovery,
email, alerts, incidents, channels, the API and metrics, and beat's schedule."""

from django.core.exceptions import ImproperlyConfigured

from dashboard.env import env_bool, env_float, env_int, env_list, env_str

from .web import TIME_ZONE, VAR_DIR

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
# its own threads in one process (ops/embedded_celery.py). A worker started without
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
    "channels.tasks.send_*": {"queue": "deliveries"},
}

# --- Caches ----------------------------------------------------------------------------------

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
# After this many days a finished execution's client, info texts and raw payloads are
# cleared (monitors/personal_data.py); its statuses, steps, times and counts stay. Personal
# data must not outlive the execution it belongs to, hence at most RETENTION_DAYS.
PERSONAL_DATA_RETENTION_DAYS = env_int("PERSONAL_DATA_RETENTION_DAYS", min(90, RETENTION_DAYS), minimum=1)
if PERSONAL_DATA_RETENTION_DAYS > RETENTION_DAYS:
    raise ImproperlyConfigured(
        f"PERSONAL_DATA_RETENTION_DAYS ({PERSONAL_DATA_RETENTION_DAYS}) must be at most RETENTION_DAYS "
        f"({RETENTION_DAYS}): client data would be kept longer than the executions it belongs to. "
        "Lower PERSONAL_DATA_RETENTION_DAYS or raise RETENTION_DAYS."
    )

# --- Personal data (docs/personal-data.md) ----------------------------------------------------
# Redact the stored step info, messages, raw payload and account name before they are written.
# Off by default: with it on, pages, exports and erasure requests can no longer show or find
# the original values (a failure "for 07700 900123" is stored as "for [phone]").
REDACT_AT_REST = env_bool("REDACT_AT_REST", False)

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
# How often beat looks for report emails that are due (reports/emails.py).
REPORT_EMAIL_CHECK_SECONDS = env_int("REPORT_EMAIL_CHECK_SECONDS", 900, minimum=10)
# Report emails go out from this local hour on (Monday / the 1st, in each user's zone).
REPORT_EMAIL_HOUR = env_int("REPORT_EMAIL_HOUR", 7, minimum=0, maximum=23)

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

# --- Routing, escalation, action links (routing app, docs/routing.md) -------------------------
# An incident's severity rises one level at each of these client counts (ascending).
SEVERITY_CLIENT_THRESHOLDS = sorted(int(v) for v in env_list("SEVERITY_CLIENT_THRESHOLDS", ["10", "50"]))
# How often beat takes the escalation steps that are due.
ESCALATION_CHECK_SECONDS = env_int("ESCALATION_CHECK_SECONDS", 30, minimum=5)
# An alert's Acknowledge / Resolve link works this long, once.
ACTION_LINK_HOURS = env_int("ACTION_LINK_HOURS", 24, minimum=1)
# PagerDuty Events API v2; overridden by tests (under the channels' network guard).
PAGERDUTY_EVENTS_URL = env_str("PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com/v2/enqueue")

# --- API and metrics ------------------------------------------------------------------------

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
    "sweep-deliveries": {
        "task": "channels.tasks.sweep_deliveries",
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
    "take-escalation-steps": {
        "task": "alerts.tasks.escalate",
        "schedule": ESCALATION_CHECK_SECONDS,
        "options": {"expires": ESCALATION_CHECK_SECONDS * 2},
    },
    # Due report emails (Monday for the week, the 1st for the month, in each user's zone).
    "send-report-emails": {
        "task": "reports.tasks.send_report_emails",
        "schedule": REPORT_EMAIL_CHECK_SECONDS,
        "options": {"expires": REPORT_EMAIL_CHECK_SECONDS},
    },
    "prune-audit-log": {
        "task": "audit.tasks.prune_audit_log",
        "schedule": 24 * 3600,
        "options": {"expires": 3600},
    },
    "refresh-metrics": {
        "task": "metrics.tasks.refresh_metrics",
        "schedule": METRICS_REFRESH_SECONDS,
        "options": {"expires": METRICS_REFRESH_SECONDS * 2},
    },
}
