"""The Celery app of the embedded run (`make run`): beat runs as a thread of the worker.

`celery worker -B` forks beat into a process of its own (~75 MB); on the small
machine the embedded run is made for, a thread does the same job. Production
keeps beat as its own service (docker-compose.yml), with `-A dashboard`.
"""

from celery import bootsteps
from celery.beat import EmbeddedService

from dashboard.celery import app


class ThreadedBeat(bootsteps.StartStopStep):
    label = "ThreadedBeat"

    def create(self, worker):
        return EmbeddedService(worker.app, thread=True, schedule_filename=worker.schedule_filename)


app.steps["worker"].add(ThreadedBeat)

__all__ = ["app"]
