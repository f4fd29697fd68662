"""Issue 20, point 22: `make run`'s terminal shows no traceback for a routine 4xx, and
no page leaves the browser asking for /favicon.ico (a 404 warning each time).

A request goes through the real middleware and the project's console handler
(formatter and filters from settings.LOGGING, in the embedded run's JSON format);
its lines go through the supervisor's Output, which decides what reaches the terminal.
"""

import io
import logging

import pytest
from django.conf import settings
from django.urls import reverse
from pythonjsonlogger.json import JsonFormatter

from ops.supervisor import Output

pytestmark = pytest.mark.django_db


@pytest.fixture
def terminal(tmp_path):
    """What `make run`'s terminal would show of django.request's records."""
    console = next(h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    spec = settings.LOGGING["formatters"]["json"]
    handler.setFormatter(JsonFormatter(spec["format"], rename_fields=spec["rename_fields"]))
    for log_filter in console.filters:
        handler.addFilter(log_filter)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    shown = io.StringIO()
    output = Output(tmp_path / "run.log", terminal=shown)

    def read():
        for line in stream.getvalue().splitlines():
            output.child_line("web", line)
        return shown.getvalue()

    yield read
    logger.removeHandler(handler)
    output.close()


def test_a_routine_403_is_one_line_without_a_traceback(owner_client, terminal):
    answer = owner_client.get(reverse("audit:events"))  # a Viewer may not read the audit log
    assert answer.status_code == 403
    shown = terminal()
    assert "Forbidden" in shown
    assert "Traceback" not in shown and "PermissionDenied" not in shown
    assert len(shown.strip().splitlines()) == 1, shown


def test_a_server_error_keeps_its_traceback(terminal):
    logging.getLogger("django.request").error(
        "Internal Server Error: /x", exc_info=ValueError("boom"), extra={"status_code": 500}
    )
    assert "ValueError: boom" in terminal()


def test_admin_pages_name_the_local_favicon(admin_client):
    page = admin_client.get(reverse("admin:index"))
    assert page.status_code == 200
    assert 'rel="icon" href="/static/favicon.svg"' in page.content.decode()
