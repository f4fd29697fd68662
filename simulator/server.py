"""A real HTTP server speaking the Plannr API of /work/shared/plannr/API.md.

Order of checks for an API request, as a Laravel app behind a proxy would do
them: request line length (414), route (404/405), token (401), account header
(403, automation endpoints), rate limit (429, per user), then injected faults,
then the answer. Users, accounts and OAuth live in tenancy.py. `/_simulator/` is a control API for
out-of-process users (demo, benchmarks): same token, no rate limit, not counted.
"""

import hashlib
import json
import logging
import math
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from .faults import Faults, RateLimiter
from .tenancy import PlannrUser, Tenancy
from .world import UNSET, World, _dumps, sort_key

logger = logging.getLogger("simulator")

# The stdlib refuses request lines over 64 KiB before we see them; our own,
# configurable limit is enforced below this ceiling.
_LINE_CEILING = 1024 * 1024
MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 15
_FILTERS = ("uuid", "client_uuids", "account_uuids")
_SORTS = ("name", "-name", "created_at", "-created_at")
_EXECUTION_MODEL = "App\\Models\\AutomationExecution"
_BLUEPRINT_MODEL = "App\\Models\\AutomationBlueprint"


def token_fingerprint(token):
    return hashlib.sha256(token.encode()).hexdigest()[:12]


class _Answer:
    __slots__ = ("status", "body", "headers")

    def __init__(self, status, body, headers=None):
        self.status = status
        self.body = body if isinstance(body, bytes) else _dumps(body)
        self.headers = headers or {}


def _message(status, message, **extra):
    return _Answer(status, {"message": message, **extra})


class _BadQuery(Exception):
    def __init__(self, answer):
        self.answer = answer


class StatsSnapshot(dict):
    """The counters at one moment, readable as keys or attributes (`stats.list_requests`)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Stats:
    """Counters of API requests (cheap: one lock, plain ints)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._counts = {
                "requests": 0,
                "list_requests": 0,
                "single_requests": 0,
                "blueprint_requests": 0,
                "rate_limited": 0,
                "too_long": 0,
                "unauthorized": 0,
                "forbidden": 0,
                "logins_requests": 0,
                "without_account": 0,
                "faults_injected": 0,
            }
            self._by_status = {}
            self._list_uuid_counts = []

    def record(self, status, endpoint, uuid_count, injected):
        with self._lock:
            counts = self._counts
            counts["requests"] += 1
            if endpoint:
                counts[endpoint] += 1
            if endpoint == "list_requests":
                self._list_uuid_counts.append(uuid_count)
            if status == 429:
                counts["rate_limited"] += 1
            elif status == 414:
                counts["too_long"] += 1
            elif status == 401:
                counts["unauthorized"] += 1
            elif status == 403:
                counts["forbidden"] += 1
            if injected:
                counts["faults_injected"] += 1
            self._by_status[status] = self._by_status.get(status, 0) + 1

    def without_account(self):
        with self._lock:
            self._counts["without_account"] += 1

    def snapshot(self):
        with self._lock:
            return StatsSnapshot(
                self._counts,
                by_status=dict(self._by_status),
                list_uuid_counts=list(self._list_uuid_counts),
            )


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        logger.debug("simulator: connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one send (buffered until handle_one_request flushes),
    # with Nagle off: a small answer written in two sends stalled ~40 ms on delayed ACK.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024

    def version_string(self):
        return "PlannrSimulator/1.0"

    def setup(self):
        super().setup()
        self.server.sim._track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        self.server.sim._track(self.connection, False)

    def handle_one_request(self):
        sim = self.server.sim
        try:
            line = self.rfile.readline(_LINE_CEILING + 1)
            if not line:
                self.close_connection = True
                return
            self.raw_requestline = line
            if len(line) > _LINE_CEILING:
                self.command, self.request_version, self.requestline = "GET", "HTTP/1.1", ""
                self.close_connection = True
                sim._stats.record(414, None, 0, False)
                sim._send(self, sim._too_long())
                return
            if not self.parse_request():
                return
            sim._dispatch(self)
            self.wfile.flush()
        except (TimeoutError, ConnectionError, OSError):
            self.close_connection = True

    def log_message(self, format, *args):
        if logger.isEnabledFor(logging.DEBUG):
            # The request line holds UUIDs, never the token (that is a header).
            logger.debug("simulator %s %s", self.address_string(), format % args)


class SimulatorServer:
    """The simulated Plannr API on a background thread. `port=0` picks a free port."""

    def __init__(
        self,
        world,
        host="127.0.0.1",
        port=0,
        *,
        tokens=("sim-token",),
        rate_limit_per_minute=500,
        max_request_line=8192,
        clock=time.monotonic,
        fault_seed=0,
        second_token=None,
        second_world=None,
        oauth_clients=None,
        access_token_seconds=3600,
    ):
        self.world = world
        self.tenancy = Tenancy(oauth_clients=oauth_clients, access_token_seconds=access_token_seconds)
        self.user = PlannrUser("primary", world, firm_name="Simulated Financial Planning Ltd")
        self.tokens = tokens
        if second_token:
            # A second Plannr user, at another firm, with executions of its own.
            self.second_user = PlannrUser(
                "second", second_world if second_world is not None else World(seed=2, executions=0),
                firm_name="Second Firm Partners", person="Second Admin",
            )
            self.tenancy.add_user(self.second_user, (second_token,))
        else:
            self.second_user = None
        self._empty_world = World(seed=0, executions=0)
        self.limiter = RateLimiter(rate_limit_per_minute, clock)
        self.max_request_line = max_request_line
        self.faults = Faults(fault_seed)
        self._stats = Stats()
        self._stopping = threading.Event()
        self._connections = set()
        self._conn_lock = threading.Lock()
        self._blueprint_json = {}
        self._thread = None
        self.httpd = _HTTPServer((host, port), _Handler)
        self.httpd.sim = self
        bound_host, bound_port = self.httpd.server_address[:2]
        self.host, self.port = bound_host, bound_port
        self.url = f"http://{bound_host}:{bound_port}"

    # --- lifecycle ---------------------------------------------------------------------

    def start(self):
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"plannr-simulator-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self):
        if self._stopping.is_set():
            return
        self._stopping.set()  # wakes requests held by latency or hang faults
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=10)
        with self._conn_lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.httpd.server_close()

    def serve_until(self, event):
        """Serve on this thread's behalf until `event` is set (for the management command)."""
        self.start()
        try:
            while not event.wait(0.5):  # a timed wait lets signal handlers run promptly
                pass
        finally:
            self.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _track(self, conn, add):
        with self._conn_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # --- knobs and stats -----------------------------------------------------------------

    @property
    def tokens(self):
        """The primary user's personal tokens; assigning replaces them (a rotated token)."""
        return frozenset(self.tenancy.tokens_of(self.user))

    @tokens.setter
    def tokens(self, values):
        values = [t for t in values if t]
        if not values:
            raise ValueError("the simulator needs at least one non-empty token")
        self.tenancy._static = {t: k for t, k in self.tenancy._static.items() if k != self.user.key}
        self.tenancy.add_user(self.user, values)

    @property
    def rate_limit_per_minute(self):
        return self.limiter.limit

    @rate_limit_per_minute.setter
    def rate_limit_per_minute(self, value):
        self.limiter.limit = int(value)

    def fail_next(self, kind, count=1, *, retry_after=2):
        """Answer the next `count` API requests with this fault: 500, hang/timeout, malformed, 429, 401."""
        self.faults.schedule(kind, count, retry_after)

    @property
    def stats(self):
        """A fresh snapshot of the counters (each access reads the live values)."""
        return self._stats.snapshot()

    def reset_stats(self):
        self._stats.reset()

    def configure(self, values):
        """Apply a dict of knobs (faults, rate_limit_per_minute, max_request_line, reset)."""
        values = dict(values)
        if values.pop("reset", False):
            self.faults.reset()
            self.limiter.reset()
        if "rate_limit_per_minute" in values:
            limit = values.pop("rate_limit_per_minute")
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise ValueError("rate_limit_per_minute must be a whole number of at least 1")
            self.rate_limit_per_minute = limit
        if "max_request_line" in values:
            limit = values.pop("max_request_line")
            if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 16):
                raise ValueError("max_request_line must be null or a whole number of at least 16")
            self.max_request_line = limit
        self.faults.update(**values)
        return self.describe()

    def describe(self):
        return {
            "faults": self.faults.as_dict(),
            "rate_limit_per_minute": self.rate_limit_per_minute,
            "max_request_line": self.max_request_line,
            "executions": len(self.world),
        }

    # --- request handling ----------------------------------------------------------------

    @staticmethod
    def _bearer(handler):
        header = handler.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return token.strip() or None

    def _read_body(self, handler):
        try:
            length = int(handler.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return handler.rfile.read(length) if length > 0 else b""

    def _too_long(self):
        return _message(414, "URI Too Long")

    def _send(self, handler, answer, *, head=False):
        handler.send_response(answer.status)
        handler.send_header("Content-Type", "application/json")
        for name, value in answer.headers.items():
            handler.send_header(name, str(value))
        handler.send_header("Content-Length", str(len(answer.body)))
        if handler.close_connection:
            handler.send_header("Connection", "close")
        handler.end_headers()
        if not head:
            handler.wfile.write(answer.body)

    def _dispatch(self, handler):
        body = self._read_body(handler)
        split = urlsplit(handler.path)
        if split.path == "/_simulator" or split.path.startswith("/_simulator/"):
            answer = self._control(handler, split, body)
            self._send(handler, answer)
            return
        if split.path in ("/oauth/authorize", "/oauth/token"):
            self._send(handler, self._oauth(handler, split, body))
            return
        answer, user_key, endpoint, uuid_count, fault = self._api(handler, split)
        remaining = 0 if answer.status == 429 else self.limiter.remaining(user_key)
        answer.headers.setdefault("X-Ratelimit-Limit", self.rate_limit_per_minute)
        answer.headers.setdefault("X-Ratelimit-Remaining", remaining)
        self._stats.record(answer.status, endpoint, uuid_count, fault is not None)
        delay = self.faults.latency
        if fault == "hang":
            delay += self.faults.hang_seconds
        if delay > 0 and self._stopping.wait(delay):
            handler.close_connection = True
            return
        self._send(handler, answer, head=handler.command == "HEAD")

    def _api(self, handler, split):
        """(answer, token, endpoint stat name, uuids asked for, injected fault kind)."""
        raw_length = len(handler.raw_requestline.rstrip(b"\r\n"))
        if self.max_request_line is not None and raw_length > self.max_request_line:
            return self._too_long(), None, None, 0, None
        route = _route(split.path)
        if route is None:
            missing = _message(404, f"The route {split.path.strip('/')} could not be found.")
            return missing, None, None, 0, None
        if handler.command not in ("GET", "HEAD"):
            answer = _message(
                405,
                f"The {handler.command} method is not supported for route {split.path.strip('/')}. "
                "Supported methods: GET, HEAD.",
            )
            answer.headers["Allow"] = "GET, HEAD"
            return answer, None, None, 0, None
        # Whatever the answer, a routed call counts as a call of its endpoint, with the
        # UUIDs it asked for (so tests see retried batches too).
        endpoint = route[0]
        params = parse_qsl(split.query, keep_blank_values=True)
        uuid_count = _count_uuids(params) if endpoint == "list_requests" else 0
        user = self.tenancy.api_user(self._bearer(handler))
        if user is None:
            return _message(401, "Unauthenticated."), None, endpoint, uuid_count, None
        token = user.key  # the rate budget is the user's, whichever token they send
        world = None
        if endpoint != "logins_requests":
            account = (handler.headers.get("X-PLANNR-ACCOUNT-UUID") or "").strip().lower()
            if not account:
                self._stats.without_account()
                answer = _message(403, "The X-PLANNR-ACCOUNT-UUID header is required for this request.")
                return answer, token, endpoint, uuid_count, None
            world = user.world_for(account, self._empty_world)
            if world is None:
                return _message(403, "This action is unauthorized."), token, endpoint, uuid_count, None
        scheduled = self.faults.take_before_budget()
        if scheduled is not None:
            kind, retry_after = scheduled
            if kind == "401":
                return _message(401, "Unauthenticated."), token, endpoint, uuid_count, kind
            return self._throttled(max(1, retry_after)), token, endpoint, uuid_count, kind
        allowed, _, retry_after = self.limiter.hit(token)
        if not allowed:
            return self._throttled(retry_after), token, endpoint, uuid_count, None
        fault = self.faults.take()
        kind = fault[0] if fault else None
        if kind == "500":
            return _message(500, "Server Error"), token, endpoint, uuid_count, kind
        try:
            if endpoint == "logins_requests":
                answer = _Answer(200, user.logins())
            elif endpoint == "single_requests":
                answer = self._single(world, route[1], params)
            elif endpoint == "blueprint_requests" and route[2] == "show":
                answer = self._blueprint(world, route[1])
            else:
                answer = self._list(world, handler, split, params, route)
        except _BadQuery as bad:
            answer = bad.answer
        if kind == "malformed":
            answer = _Answer(200, _truncate(answer.body))
        return answer, token, endpoint, uuid_count, kind

    def _throttled(self, retry_after):
        answer = _message(429, "Too Many Attempts.")
        answer.headers.update(
            {
                "Retry-After": retry_after,
                "X-Ratelimit-Remaining": 0,
                "X-Ratelimit-Reset": int(time.time()) + retry_after,
            }
        )
        return answer

    # --- endpoints -----------------------------------------------------------------------

    def _single(self, world, raw_uuid, params):
        include_account = _include_account(params)
        with world.lock:
            execution = world.lookup(raw_uuid.strip().lower())
            if execution is None:
                return _message(404, f"No query results for model [{_EXECUTION_MODEL}] {raw_uuid}")
            return _Answer(200, execution.json(world.clock(), include_account))

    def _blueprint(self, world, raw_uuid):
        blueprint = world.blueprint(raw_uuid.strip().lower())
        if blueprint is None:
            return _message(404, f"No query results for model [{_BLUEPRINT_MODEL}] {raw_uuid}")
        body = self._blueprint_json.get(blueprint.uuid)
        if body is None:
            body = self._blueprint_json[blueprint.uuid] = _dumps(blueprint.payload())
        return _Answer(200, body)

    def _list(self, world, handler, split, params, route):
        query = _ListQuery(params)
        blueprint_uuid = None
        if route[0] == "blueprint_requests":
            blueprint = world.blueprint(route[1].strip().lower())
            if blueprint is None:
                return _message(404, f"No query results for model [{_BLUEPRINT_MODEL}] {route[1]}")
            blueprint_uuid = blueprint.uuid
        with world.lock:
            if query.uuids is not None:
                found = (world.lookup(u) for u in query.uuids)
                matches = sorted((e for e in found if e is not None), key=sort_key(query.sort))
            else:
                matches = world.ordered(query.sort)
            if blueprint_uuid is not None:
                matches = [e for e in matches if e.blueprint_uuid == blueprint_uuid]
            if query.accounts is not None:
                matches = [e for e in matches if e.account.uuid in query.accounts]
            total = len(matches)
            start = (query.page - 1) * query.per_page
            now = world.clock()
            items = [e.json(now, query.include_account) for e in matches[start : start + query.per_page]]
        body = b'{"data":[' + b",".join(items) + b'],"links":'
        host = handler.headers.get("Host") or f"{self.host}:{self.port}"
        path = f"http://{host}{split.path}"
        last_page = max(1, math.ceil(total / query.per_page))

        def link(page):
            return f"{path}?{urlencode(_with_page(params, page))}"

        links = {
            "first": link(1),
            "last": link(last_page),
            "prev": link(query.page - 1) if query.page > 1 else None,
            "next": link(query.page + 1) if query.page < last_page else None,
        }
        meta = {
            "current_page": query.page,
            "from": start + 1 if items else None,
            "last_page": last_page,
            "path": path,
            "per_page": query.per_page,
            "to": start + len(items) if items else None,
            "total": total,
        }
        body += _dumps(links) + b',"meta":' + _dumps(meta) + b"}"
        return _Answer(200, body)

    # --- control API -----------------------------------------------------------------------

    def _control(self, handler, split, body):
        # Any configured personal token, revoked or expired too: the demo revokes its own.
        caller = self.tenancy.static_user(self._bearer(handler))
        if caller is None:
            return _message(401, "Unauthenticated.")
        parts = [unquote(p) for p in split.path.strip("/").split("/")[1:]]
        method = handler.command
        try:
            payload = json.loads(body) if body.strip() else {}
        except ValueError:
            return _message(400, "The body must be JSON.")
        if not isinstance(payload, dict):
            return _message(400, "The body must be a JSON object.")
        if len(parts) == 2 and parts[0] == "tokens" and method == "POST":
            return self._control_tokens(parts[1], payload, caller)
        try:
            return self._control_route(method, parts, payload)
        except (TypeError, ValueError) as exc:
            return _message(400, str(exc))

    def _control_tokens(self, action, payload, caller):
        """POST /_simulator/tokens/{revoke,expire,restore}, {"user": "primary"|"second"} (default: the caller)."""
        user = self.tenancy.users.get(payload.get("user") or caller.key)
        if user is None:
            return _message(404, "No such simulated user.")
        actions = {"revoke": self.tenancy.revoke, "expire": self.tenancy.expire, "restore": self.tenancy.restore}
        if action not in actions:
            return _message(404, "Unknown simulator control endpoint.")
        actions[action](user)
        return _Answer(200, {"user": user.key, "revoked": user.revoked, "account_uuid": user.account_uuid})

    def _oauth(self, handler, split, body):
        """The authorization-code grant: /oauth/authorize approves at once as the primary user."""
        if split.path == "/oauth/authorize":
            if handler.command != "GET":
                return _message(405, "Method not allowed.")
            query = dict(parse_qsl(split.query))
            redirect = query.get("redirect_uri", "")
            if query.get("response_type") != "code" or not redirect:
                return _message(400, "response_type=code and redirect_uri are required.")
            code = self.tenancy.authorize(query.get("client_id", ""), redirect, self.user)
            if code is None:
                return _message(401, "Client authentication failed")
            answer = _Answer(302, b"")
            location = {"code": code, **({"state": query["state"]} if "state" in query else {})}
            answer.headers["Location"] = f"{redirect}{'&' if '?' in redirect else '?'}{urlencode(location)}"
            return answer
        if handler.command != "POST":
            return _message(405, "Method not allowed.")
        content_type = handler.headers.get("Content-Type", "")
        try:
            if "json" in content_type:
                form = json.loads(body or b"{}")
            else:
                form = dict(parse_qsl(body.decode("utf-8")))
        except (ValueError, UnicodeDecodeError):
            return _message(400, "The body could not be read.")
        status, answer = self.tenancy.grant(form if isinstance(form, dict) else {})
        return _Answer(status, answer)

    def _control_route(self, method, parts, payload):
        world = self.world
        if parts == ["stats"] and method == "GET":
            return _Answer(200, dict(self.stats, **self.describe()))
        if parts == ["reset-stats"] and method == "POST":
            self.reset_stats()
            return _Answer(200, {"ok": True})
        if parts == ["faults"] and method in ("GET", "POST"):
            return _Answer(200, self.configure(payload) if method == "POST" else self.describe())
        if parts == ["fail-next"] and method == "POST":
            self.fail_next(
                payload.get("kind", ""), payload.get("count", 1), retry_after=payload.get("retry_after", 2)
            )
            return _Answer(200, self.describe())
        if parts == ["executions"] and method == "GET":
            return _Answer(200, {"uuids": world.uuids()})
        if parts == ["executions"] and method == "POST":
            if "count" in payload:
                count = payload.pop("count")
                if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                    raise ValueError("count must be a whole number")
                return _Answer(201, {"uuids": world.create_many(count, **payload)})
            return _Answer(201, world.create_execution(**payload))
        if parts == ["blueprints"] and method == "GET":
            return _Answer(200, {"blueprints": [
                {"uuid": bp.uuid, "name": bp.name, "stopped": bp.uuid in world.stopped_blueprints}
                for bp in world.blueprints()
            ]})
        if len(parts) == 3 and parts[0] == "blueprints" and parts[2] in ("stop", "start") and method == "POST":
            try:
                return _Answer(200, world.set_blueprint_stopped(parts[1], parts[2] == "stop"))
            except KeyError:
                return _message(404, f"No blueprint {parts[1]} in the simulator.")
        if len(parts) == 3 and parts[0] == "executions" and parts[2] == "hang" and method == "POST":
            try:
                return _Answer(200, world.hang(parts[1], payload.get("step")))
            except KeyError:
                return _message(404, f"No execution {parts[1]} in the simulator.")
            except IndexError:
                return _message(400, "step names a step index the execution does not have.")
        if len(parts) == 2 and parts[0] == "executions" and method in ("POST", "DELETE"):
            try:
                if method == "DELETE":
                    if not world.remove(parts[1]):
                        raise KeyError(parts[1])
                    return _Answer(200, {"ok": True})
                if "next_step" not in payload:
                    payload["next_step"] = UNSET
                return _Answer(200, world.drive(parts[1], **payload))
            except KeyError:
                return _message(404, f"No execution {parts[1]} in the simulator.")
            except IndexError:
                return _message(400, "update_steps names a step index the execution does not have.")
        return _message(404, "Unknown simulator control endpoint.")


class _ListQuery:
    """The list endpoints' query parameters, validated as Laravel + spatie/query-builder would."""

    def __init__(self, params):
        self.uuids = None
        self.accounts = None
        self.include_account = _include_account(params)
        self.sort = "name"
        self.per_page = DEFAULT_PER_PAGE
        self.page = 1
        for key, value in params:
            if key.startswith("filter[") and key.endswith("]"):
                self._filter(key[7:-1], value)
            elif key == "sort":
                if value and value not in _SORTS:
                    raise _BadQuery(
                        _message(
                            400,
                            f"Requested sort(s) `{value}` is not allowed. "
                            "Allowed sort(s) are `created_at, name`.",
                        )
                    )
                self.sort = value or "name"
            elif key == "per_page":
                self.per_page = _per_page(value)
            elif key == "page":
                try:
                    self.page = max(1, int(value))
                except ValueError:
                    self.page = 1

    def _filter(self, name, value):
        if name not in _FILTERS:
            raise _BadQuery(
                _message(
                    400,
                    f"Requested filter(s) `{name}` are not allowed. "
                    f"Allowed filter(s) are `{', '.join(_FILTERS)}`.",
                )
            )
        values = [v.strip().lower() for v in value.split(",") if v.strip()]
        if name == "uuid":
            self.uuids = list(dict.fromkeys(values)) if self.uuids is None else [
                u for u in self.uuids if u in set(values)
            ]
        else:
            wanted = set(values)
            self.accounts = wanted if self.accounts is None else self.accounts & wanted


def _per_page(value):
    def invalid(text):
        return _BadQuery(_message(422, text, errors={"per_page": [text]}))

    try:
        number = int(value)
    except ValueError:
        raise invalid("The per page field must be an integer.") from None
    if number < 1:
        raise invalid("The per page field must be at least 1.")
    if number > MAX_PER_PAGE:
        raise invalid(f"The per page field must not be greater than {MAX_PER_PAGE}.")
    return number


def _count_uuids(params):
    asked = set()
    for key, value in params:
        if key == "filter[uuid]":
            asked.update(v.strip().lower() for v in value.split(",") if v.strip())
    return len(asked)


def _include_account(params):
    include = False
    for key, value in params:
        if key != "include":
            continue
        for name in (v.strip() for v in value.split(",") if v.strip()):
            if name != "account":
                raise _BadQuery(
                    _message(
                        400,
                        f"Requested include(s) `{name}` are not allowed. Allowed include(s) are `account`.",
                    )
                )
            include = True
    return include


def _with_page(params, page):
    pairs = [(k, v) for k, v in params if k != "page"]
    pairs.append(("page", str(page)))
    return pairs


def _truncate(body):
    if len(body) < 8:
        return b'{"data":[{"uuid":"'
    return body[: len(body) // 2]


def _route(path):
    """(endpoint stat name, uuid, kind) for an API path, or None."""
    parts = [unquote(p) for p in path.strip("/").split("/")]
    if len(parts) < 3 or parts[:2] != ["api", "v1"]:
        return None
    rest = parts[2:]
    if rest == ["logins"]:
        return ("logins_requests", None, "list")
    if rest == ["automation-executions"]:
        return ("list_requests", None, "list")
    if len(rest) == 2 and rest[0] == "automation-executions" and rest[1]:
        return ("single_requests", rest[1], "show")
    if len(rest) == 2 and rest[0] == "automation-blueprints" and rest[1]:
        return ("blueprint_requests", rest[1], "show")
    if len(rest) == 3 and rest[0] == "automation-blueprints" and rest[2] == "executions":
        return ("blueprint_requests", rest[1], "list")
    return None
