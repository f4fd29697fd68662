"""A PagerDuty Events API v2 stand-in: records every event and checks it as PagerDuty does.

It answers 202 with `{"status": "success", "dedup_key": ...}` for a valid event, and 400
with the reasons for an invalid one (as the real endpoint does), so a sender that
builds a wrong event fails the test twice: in the answer and in `invalid()`.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.waiting import wait_for

SEVERITIES = {"critical", "error", "warning", "info"}
ACTIONS = {"trigger", "acknowledge", "resolve"}


def problems(event):
    """What PagerDuty would refuse in `event` (an empty list: it is valid)."""
    found = []
    if not isinstance(event, dict):
        return ["the body is not a JSON object"]
    key = event.get("routing_key")
    if not isinstance(key, str) or len(key) != 32:
        found.append("routing_key must be a 32-character string")
    if event.get("event_action") not in ACTIONS:
        found.append("event_action must be trigger, acknowledge or resolve")
    dedup = event.get("dedup_key")
    if event.get("event_action") in ("acknowledge", "resolve") and not dedup:
        found.append("dedup_key is required to acknowledge or resolve")
    if dedup is not None and (not isinstance(dedup, str) or len(dedup) > 255):
        found.append("dedup_key must be a string of at most 255 characters")
    if event.get("event_action") == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            found.append("payload is required to trigger")
        else:
            for field in ("summary", "source", "severity"):
                if not payload.get(field):
                    found.append(f"payload.{field} is required")
            if payload.get("severity") not in SEVERITIES:
                found.append("payload.severity must be critical, error, warning or info")
            if len(str(payload.get("summary", ""))) > 1024:
                found.append("payload.summary is limited to 1024 characters")
        for link in event.get("links") or []:
            if not isinstance(link, dict) or not link.get("href"):
                found.append("links need an href")
    extra = set(event) - {"routing_key", "event_action", "dedup_key", "payload", "links", "images", "client",
                          "client_url"}
    if extra:
        found.append(f"unknown fields: {sorted(extra)}")
    return found


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (the http.server API)
        box = self.server.box
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        errors = problems(event)
        box.record(self.path, event, errors)
        if errors:
            status, answer = 400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
        else:
            status, answer = 202, {"status": "success", "message": "Event processed",
                                   "dedup_key": event.get("dedup_key") or "generated"}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class PagerDuty:
    def __init__(self):
        self._lock = threading.Lock()
        self._events = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.box = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v2/enqueue"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def record(self, path, event, errors):
        with self._lock:
            self._events.append((path, event, errors))

    def events(self):
        with self._lock:
            return [event for _, event, _ in self._events]

    def invalid(self):
        with self._lock:
            return [(event, errors) for _, event, errors in self._events if errors]

    def wait_for_actions(self, actions, timeout=30):
        wait_for(lambda: [e.get("event_action") for e in self.events()] == list(actions), timeout=timeout,
                 message=f"PagerDuty events {actions}, got {[e.get('event_action') for e in self.events()]}")
        return self.events()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def pagerduty(settings):
    """The stand-in, with PAGERDUTY_EVENTS_URL pointed at it (loopback: the network guard is lifted)."""
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = True
    receiver = PagerDuty()
    settings.PAGERDUTY_EVENTS_URL = receiver.url
    try:
        yield receiver
    finally:
        receiver.stop()
