"""GET /metrics: Prometheus text, for a scraper holding METRICS_TOKEN or on an allowed network.

Never open by default: with neither METRICS_TOKEN nor METRICS_ALLOWED_NETWORKS
set, every request is refused (403), so that deploying the app does not publish
its numbers to whoever finds the URL.
"""

import hmac
import ipaddress
import logging

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from . import exposition, store

logger = logging.getLogger("metrics")


def _from_allowed_network(request):
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n) for n in settings.METRICS_ALLOWED_NETWORKS)


def _has_token(request):
    expected = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), expected)


def _refuse(status, text):
    response = HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@require_GET
def metrics(request):
    if not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_NETWORKS):
        return _refuse(
            403, "Metrics are off: set METRICS_TOKEN or METRICS_ALLOWED_NETWORKS (docs/metrics.md)."
        )
    if not (_has_token(request) or _from_allowed_network(request)):
        return _refuse(401, "Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.")
    try:
        body = exposition.render()
    except store.NoRedis:
        return _refuse(503, "Metrics need Redis (REDIS_URL), which this instance runs without.")
    except Exception as exc:
        logger.warning("metrics could not be read: %s", type(exc).__name__)
        return _refuse(503, "Metrics are unavailable right now (Redis or the database did not answer).")
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
