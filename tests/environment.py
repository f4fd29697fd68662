"""Environment defaults for the test run, loaded with `-p tests.environment`.

pytest-django reads the settings before any conftest.py is imported, so these
must be set by an early plugin. Anything already in the environment wins.
"""

import base64
import os
import secrets

os.environ.setdefault("SECRET_KEY", "test-" + secrets.token_hex(16))
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("PLANNR_API_TOKEN", "test-token-" + secrets.token_hex(12))
# Tests get their own Redis database so they never touch a running product's queues.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
# Under pytest-xdist each worker flushes and fills Redis on its own, so each gets its own
# database below the run's (gw0 keeps it, gw1 the one before, ...); pytest-django already
# gives each worker its own PostgreSQL test database. The controller set REDIS_URL before
# starting the workers, so they inherit it and shift it here.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and _worker[2:].isdigit() and int(_worker[2:]):
    _base, _, _db = os.environ["REDIS_URL"].rpartition("/")
    if _db.isdigit():
        os.environ["REDIS_URL"] = f"{_base}/{(int(_db) - int(_worker[2:])) % 16}"
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Playwright talks to live_server from a thread; Django refuses sync ORM calls
# from a thread with a running event loop unless told that this is fine.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Incident alerts wait this long to fold follow-up occurrences in; tests of the
# fold set it themselves, the rest want their alert due at once.
os.environ.setdefault("INCIDENT_ALERT_WINDOW_SECONDS", "0")
# Channel secrets get a key of their own, as in production (a fresh one per run).
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
