"""The API at /api/v1/: one router per resource, sharing auth, errors, paging and the rate limit.

A new resource (monitors, incidents) is a module with a `router` added below; it
gets token and session auth, the per-token rate limit, the error shape and the
OpenAPI entry from here.
"""

from django.http import JsonResponse
from django.urls import path, re_path
from ninja import NinjaAPI
from ninja.parser import Parser

from . import connections, errors, executions, exports, incidents, monitors, watches
from .auth import api_auth
from .docs import VendoredSwagger
from .ratelimit import PerTokenThrottle
from privacy.api import RedactingRenderer

class ObjectBodyParser(Parser):
    """Every body the API takes is a JSON object: an array or a bare value is refused (400),
    not read as "no fields given"."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


api = NinjaAPI(
    title="Plannr monitor API",
    version="1",
    description=(
        "Watches, executions, monitors, incidents, exports and (read-only) Plannr connections of the "
        "Plannr execution monitor. "
        "Authenticate with a "
        "personal API token (`Authorization: Bearer <token>`, from the API tokens page) or, "
        "in the browser, with your session and the CSRF header. Errors are JSON: "
        '`{"code": "...", "message": "..."}`.'
    ),
    urls_namespace="api-v1",
    parser=ObjectBodyParser(),
    # Client data redacted for tokens without the personal-data scope (docs/personal-data.md).
    renderer=RedactingRenderer(),
    auth=api_auth(),
    throttle=[PerTokenThrottle()],
    docs=VendoredSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)

api.add_router("/watches", watches.router)
api.add_router("/executions", executions.router)
api.add_router("/exports", exports.router)
api.add_router("/monitors", monitors.router)
api.add_router("/incidents", incidents.router)
api.add_router("/connections", connections.router)


def unknown_endpoint(request, path=""):
    # Django's own 404 page is HTML; a script calling a wrong URL gets the API's shape.
    message = "No such API endpoint: the endpoints are listed in /api/v1/openapi.json."
    return JsonResponse({"code": "not_found", "message": message}, status=404)


urlpatterns = [
    path("", api.urls),
    re_path(r"^(?P<path>.*)$", unknown_endpoint, name="api_not_found"),
]
