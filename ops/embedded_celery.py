"""The Celery app of the embedded run (`make run`): one process, beat a thread, a thread pool per queue.

`celery worker -B` forks beat into a process of its own (~75 MB); on the small
machine the embedded run is made for, a thread does the same job. Production
keeps beat as its own service (docker-compose.yml), with `-A dashboard`.

Production reserves capacity for polling with a worker per queue group; here a
second worker process would cost ~100 MB, so the one process gives each queue
its own threads instead (QueuePool, this app's worker pool): a
receiver that never answers holds only the deliveries' threads, and polls still
run. Prefetch is unlimited: one consumer reserves messages for every queue, and
a limit shared by all of them would fill up with waiting deliveries and stop
polls from being fetched at all. That is harmless here, as this is the only
worker. (Set here, not with `--prefetch-multiplier=0`, which Celery's command
line reads as "not given".)
"""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from celery import bootsteps
from celery.beat import EmbeddedService
from celery.concurrency.base import apply_target
from celery.concurrency.thread import ApplyResult
from celery.concurrency.thread import TaskPool as ThreadTaskPool

from dashboard.celery import app

# Threads per queue (settings.CELERY_TASK_QUEUES); "celery" is the housekeeping queue.
# One each: a poll batch is one request for up to 200 executions, and each thread costs
# memory (its own malloc arena, database connection...) on the 1 GB machine.
THREADS = {"polling": 1, "discovery": 1, "deliveries": 1, "celery": 1}


class QueuePool(ThreadTaskPool):
    """Celery's thread pool, with one set of threads per queue a task came from."""

    def __init__(self, limit=None, *args, **kwargs):
        # --concurrency is not used: THREADS sizes each queue's share.
        super().__init__(sum(THREADS.values()), *args, **kwargs)
        self.executor.shutdown(wait=False)  # the parent's single executor is not used
        self.executors = {
            queue: ThreadPoolExecutor(max_workers=count, thread_name_prefix=f"pool-{queue}")
            for queue, count in THREADS.items()
        }

    def on_stop(self):
        for executor in self.executors.values():
            executor.shutdown(cancel_futures=True)
        super().on_stop()

    def on_apply(self, target, args=None, kwargs=None, callback=None, accept_callback=None, **_):
        executor = self.executors.get(_queue_of(args), self.executors["celery"])
        return ApplyResult(executor.submit(apply_target, target, args, kwargs, callback, accept_callback))

    def _get_info(self):
        info = super()._get_info()
        info["threads"] = {queue: len(e._threads) for queue, e in self.executors.items()}
        return info


def _queue_of(args):
    # The worker calls trace_task_ret(name, id, request, body, ...): the request
    # says which queue the message came from.
    try:
        return args[2]["delivery_info"]["routing_key"]
    except (TypeError, IndexError, KeyError):
        return "celery"


class ThreadedBeat(bootsteps.StartStopStep):
    label = "ThreadedBeat"

    def create(self, worker):
        # Beat's schedule file lives in var/, which a fresh checkout does not have yet:
        # without it the beat thread dies on its first tick and nothing is dispatched.
        Path(worker.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        # Celery's Service defaults to PersistentScheduler, not the configured one: without
        # it, beat's heartbeat (dashboard/heartbeat.py) is never written and ?deep=1 fails.
        return EmbeddedService(worker.app, thread=True, schedule_filename=worker.schedule_filename,
                               scheduler_cls=worker.app.conf.beat_scheduler)


app.steps["worker"].add(ThreadedBeat)
# `celery --pool` takes only Celery's own names; the configured pool may be any class.
app.conf.worker_pool = QueuePool
app.conf.worker_concurrency = sum(THREADS.values())
app.conf.worker_prefetch_multiplier = 0

__all__ = ["app", "QueuePool"]
