"""gunicorn's configuration (`--config python:dashboard.gunicorn_conf`).

Only logging: gunicorn's own lines (start-up, worker boots and timeouts, and
in production one access line per request) go through the app's LOGGING, so
with LOG_FORMAT=json they are JSON lines like the rest and pass the same
secret-redaction filter: no API token, no unsubscribe link. This replaces
gunicorn's own handlers, so `--access-logfile` and syslog cannot bypass it. Everything else is on the command line in
docker-compose.yml and the Procfile.
"""

import copy
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

from django.conf import settings  # noqa: E402  (needs the settings module set above)

logconfig_dict = copy.deepcopy(settings.LOGGING)
logconfig_dict.setdefault("loggers", {}).update(
    {
        # Propagate to the root logger's handler instead of gunicorn's own ones.
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        # One line per request (the embedded run keeps them in its log file, off the terminal).
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
    }
)
