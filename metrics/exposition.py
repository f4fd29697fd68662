"""The /metrics text: the stored snapshot and the Redis counters, rendered by prometheus_client.

Several gunicorn workers and Celery processes: every value is read from Redis at
scrape time, so whichever web process answers, the numbers are the same and
nothing is kept per process (no multiprocess mode, no files to clean up).
"""

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from . import snapshot, store

NAMESPACE = snapshot.NAMESPACE


def refresh(now=None):
    """Recompute the database-derived values and store them for scrapes."""
    data = snapshot.compute(now)
    store.save_snapshot(data)
    return data


class _Collector:
    def __init__(self, data, counts, ratelimit):
        self.data, self.counts, self.ratelimit = data, counts, ratelimit

    def collect(self):
        for fam in self.data["families"]:
            metric = GaugeMetricFamily(fam["name"], fam["help"], labels=fam["labels"])
            for values, value in fam["samples"]:
                metric.add_metric(values, value)
            yield metric
        yield GaugeMetricFamily(
            f"{NAMESPACE}_metrics_computed_timestamp_seconds",
            "When the database-derived values were computed (Unix time).",
            value=self.data["computed_at"],
        )
        requests = CounterMetricFamily(
            f"{NAMESPACE}_plannr_requests",
            "Requests to Plannr by endpoint and HTTP status (429s included).",
            labels=["endpoint", "status"],
        )
        for (endpoint, status), count in sorted(self.counts.items()):
            requests.add_metric([endpoint, status], count)
        yield requests
        if "remaining" in self.ratelimit:
            yield GaugeMetricFamily(
                f"{NAMESPACE}_plannr_ratelimit_remaining",
                "X-Ratelimit-Remaining in Plannr's last answer.",
                value=float(self.ratelimit["remaining"]),
            )


def render():
    """The exposition text. Computes the snapshot only if none is stored (first scrape after start)."""
    data = store.load_snapshot() or refresh()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(data, store.request_counts(), store.plannr_ratelimit()))
    return generate_latest(registry)
