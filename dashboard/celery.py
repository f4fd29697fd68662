import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
# Every Celery option lives in settings.py under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every worker (production's and the embedded one) records a heartbeat per queue (/healthz?deep=1).
from dashboard.heartbeat import WorkerHeartbeat  # noqa: E402

app.steps["worker"].add(WorkerHeartbeat)
