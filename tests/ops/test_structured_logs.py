"""Logs: one JSON object per line with LOG_FORMAT=json, and never the API token."""

import json
import secrets

from tests.ops.processes import clean_env, run_python

EMIT = """
import logging, django
django.setup()
from django.conf import settings
token = settings.PLANNR_API_TOKEN
logging.getLogger("executions.polling").info("poll cycle dispatched", extra={"claimed": 400, "batch_size": 200})
logging.getLogger("urllib3.connectionpool").warning("GET https://api.example/x?token=%s failed", token)
logging.getLogger("plannr").error("Plannr said 401", extra={"header": "Bearer " + token})
try:
    raise RuntimeError("request with Authorization: Bearer " + token)
except RuntimeError:
    logging.getLogger("alerts.delivery").exception("delivery failed")
"""


def _env(tmp_path, **values):
    return clean_env(
        tmp_path,
        SECRET_KEY=secrets.token_urlsafe(50),
        PLANNR_API_TOKEN="tok-" + secrets.token_hex(16),
        **values,
    )


def test_json_format_gives_one_json_object_per_line(tmp_path):
    env = _env(tmp_path, LOG_FORMAT="json")
    result = run_python(EMIT, env)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert len(records) == 4
    first = records[0]
    assert first["message"] == "poll cycle dispatched"
    assert first["level"] == "INFO"
    assert first["logger"] == "executions.polling"
    # Structured fields stay fields, so a log shipper can query batch sizes.
    assert first["claimed"] == 400 and first["batch_size"] == 200
    assert "time" in first


def test_the_token_is_redacted_everywhere_in_a_record(tmp_path):
    env = _env(tmp_path, LOG_FORMAT="json")
    token = env["PLANNR_API_TOKEN"]
    result = run_python(EMIT, env)
    assert result.returncode == 0, result.stderr
    assert token not in result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert "[redacted]" in records[1]["message"]
    assert records[2]["header"] == "Bearer [redacted]"
    # The traceback is kept, minus the token.
    assert "RuntimeError: request with Authorization: Bearer [redacted]" in records[3]["exc_info"]


def test_text_format_redacts_too(tmp_path):
    env = _env(tmp_path, LOG_FORMAT="text")
    token = env["PLANNR_API_TOKEN"]
    result = run_python(EMIT, env)
    assert result.returncode == 0, result.stderr
    assert "poll cycle dispatched" in result.stderr
    assert token not in result.stderr
    assert "[redacted]" in result.stderr
    # Not JSON: text is for people.
    assert not result.stderr.lstrip().startswith("{")


def test_unknown_log_format_is_refused(tmp_path):
    result = run_python("import django; django.setup()", _env(tmp_path, LOG_FORMAT="xml"))
    assert result.returncode != 0
    assert "LOG_FORMAT must be 'text' or 'json'" in result.stderr
