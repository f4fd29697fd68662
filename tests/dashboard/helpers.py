"""Helpers shared by the page tests."""

import json
import re

HTMX = {"HX-Request": "true"}


def queued_tasks(redis_client, queue=None):
    """(task name, args) of every message waiting in a Celery queue (default: in any) on the real Redis broker."""
    from django.conf import settings

    found = []
    raws = [raw for name in ([queue] if queue else settings.CELERY_TASK_QUEUES) for raw in redis_client.lrange(name, 0, -1)]
    for raw in raws:
        message = json.loads(raw)
        body = json.loads(__import__("base64").b64decode(message["body"]))
        found.append((message["headers"]["task"], body[0]))
    return found


def text_of(response):
    """The response body as text with tags removed and whitespace collapsed."""
    # <bdi> (isolated Plannr text) is inline: dropped without a space, like the text around it.
    html = re.sub(r"</?bdi>", "", response.content.decode())
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
