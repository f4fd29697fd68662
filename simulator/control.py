"""A small client for the simulator's `/_simulator/` control API (demo, benchmarks).

    control = SimulatorControl("http://127.0.0.1:8001", "sim-token")
    uuids = control.create_many(10_000)
    control.set_faults(error_rate=0.05, rate_limit_per_minute=1000)
    print(control.stats()["list_requests"])
"""

import requests


class SimulatorControlError(RuntimeError):
    pass


class SimulatorControl:
    def __init__(self, url, token, *, timeout=30.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def _call(self, method, path, payload=None):
        response = self.session.request(
            method, f"{self.url}/_simulator/{path}", json=payload, timeout=self.timeout
        )
        if response.status_code >= 400:
            try:
                message = response.json().get("message", "")
            except ValueError:
                message = response.text[:200]
            raise SimulatorControlError(f"{method} /_simulator/{path}: {response.status_code} {message}")
        return response.json()

    def stats(self):
        """Counters plus the current knobs (JSON: by_status keys are strings)."""
        return self._call("GET", "stats")

    def reset_stats(self):
        self._call("POST", "reset-stats")

    def uuids(self):
        return self._call("GET", "executions")["uuids"]

    def create_execution(self, **fields):
        return self._call("POST", "executions", fields)

    def create_many(self, count, **fields):
        return self._call("POST", "executions", {"count": count, **fields})["uuids"]

    def drive(self, uuid, **changes):
        return self._call("POST", f"executions/{uuid}", changes)

    def remove(self, uuid):
        self._call("DELETE", f"executions/{uuid}")

    def set_faults(self, **knobs):
        """Fault knobs, rate_limit_per_minute, max_request_line (None: no limit), reset=True."""
        return self._call("POST", "faults", knobs)

    def fail_next(self, kind, count=1, *, retry_after=2):
        return self._call("POST", "fail-next", {"kind": kind, "count": count, "retry_after": retry_after})

    def blueprints(self):
        return self._call("GET", "blueprints")["blueprints"]

    def stop_blueprint(self, uuid):
        """The live stream creates no more executions of this blueprint (until start_blueprint)."""
        return self._call("POST", f"blueprints/{uuid}/stop")

    def start_blueprint(self, uuid):
        return self._call("POST", f"blueprints/{uuid}/start")

    def hang(self, uuid, step=None):
        """Hold an execution in progress on a step (an index; default where it is now), for ever."""
        return self._call("POST", f"executions/{uuid}/hang", {} if step is None else {"step": step})

    def revoke_token(self, user=None):
        """Every token of a simulated Plannr user (default: this one) answers 401 until restored."""
        return self._call("POST", "tokens/revoke", {"user": user} if user else {})

    def expire_token(self, user=None):
        return self._call("POST", "tokens/expire", {"user": user} if user else {})

    def restore_token(self, user=None):
        return self._call("POST", "tokens/restore", {"user": user} if user else {})

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
