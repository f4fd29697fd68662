"""The Plannr client with `requests` faked at the adapter, for the narrow unit tests: each
status, header and transport failure produced exactly. The behaviour against a real HTTP
server is in test_client_http.py."""


import json
import uuid as uuid_lib
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from plannr import PlannrClient

BASE = "https://plannr.test"
TOKEN = "tok-SECRET-4f1c2b9e8d7a6c5b"
LIST_PATH = "/api/v1/automation-executions"


def make_uuids(n):
    return [str(uuid_lib.UUID(int=i + 1)) for i in range(n)]


def execution_payload(uuid, status="in_progress"):
    return {
        "uuid": uuid,
        "name": "Welcome pack",
        "status": status,
        "triggered_by": "client.created",
        "created_at": "2026-06-08T16:08:03+01:00",
        "updated_at": "2026-06-08T16:08:03+01:00",
        "steps": [],
        "next_step": None,
        "previous_step": None,
    }


class FakeAdapter(BaseAdapter):
    """Answers each request with `handler(request)`: (status, body, headers) or an exception."""

    def __init__(self, handler):
        super().__init__()
        self.handler = handler
        self.requests = []
        self.kwargs = []

    def send(self, request, **kwargs):
        self.requests.append(request)
        self.kwargs.append(kwargs)
        outcome = self.handler(request)
        if isinstance(outcome, BaseException):
            raise outcome
        status, body, headers = (outcome + ({},))[:3] if len(outcome) == 2 else outcome
        response = requests.Response()
        response.status_code = status
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        response._content = body.encode() if isinstance(body, str) else body
        response.headers = CaseInsensitiveDict(headers)
        response.url = request.url
        response.request = request
        response.reason = "whatever"
        return response

    def close(self):
        pass

    # -- helpers for assertions --
    def queries(self):
        return [parse_qs(urlsplit(r.url).query) for r in self.requests]

    def paths(self):
        return [urlsplit(r.url).path for r in self.requests]


def list_server(known=None, *, max_uuids=None, too_long_status=414, per_page_cap=None, headers=None):
    """A handler mimicking the list endpoint: filter[uuid], per_page, page, 414 over max_uuids."""
    known = set(known) if known is not None else None

    def handler(request):
        query = parse_qs(urlsplit(request.url).query)
        wanted = query["filter[uuid]"][0].split(",")
        if max_uuids is not None and len(wanted) > max_uuids:
            return (too_long_status, "<html>URI Too Long</html>", {})
        per_page = int(query.get("per_page", ["15"])[0])
        if per_page_cap:
            per_page = min(per_page, per_page_cap)
        page = int(query.get("page", ["1"])[0])
        rows = [execution_payload(u) for u in wanted if known is None or u in known]
        last_page = max(1, -(-len(rows) // per_page))
        body = {
            "data": rows[(page - 1) * per_page : page * per_page],
            "links": {"next": "x" if page < last_page else None},
            "meta": {"current_page": page, "last_page": last_page, "per_page": per_page, "total": len(rows)},
        }
        return (200, body, dict(headers or {"X-Ratelimit-Remaining": "499", "X-Ratelimit-Limit": "500"}))

    return handler


def make_client(handler, **kwargs):
    adapter = FakeAdapter(handler)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    client = PlannrClient(BASE, kwargs.pop("token", TOKEN), session=session, **kwargs)
    return client, adapter


class RecordingLimiter:
    def __init__(self, fail_observe=False):
        self.calls = []
        self.fail_observe = fail_observe

    def acquire(self, fingerprint):
        self.calls.append(("acquire", fingerprint))

    def observe(self, fingerprint, *, remaining=None, limit=None, retry_after=None):
        self.calls.append(("observe", fingerprint, remaining, limit, retry_after))
        if self.fail_observe:
            raise ConnectionError("redis down")
