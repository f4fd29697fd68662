"""One JSON shape for every error the API answers: {"code", "message", ...}.

`code` is a stable word a script can branch on; `message` is a sentence for a
person. Extra keys carry detail: `errors` (what was wrong with which field) and,
for adding watches, `results` (one entry per item sent).
"""

import logging

from django.http import Http404
from ninja import Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError

logger = logging.getLogger("api")


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[FieldError] = []


class ApiError(Exception):
    """Raised by API code for an answer other than success."""

    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def not_found(what="object"):
    # The same answer for "does not exist" and "belongs to someone else".
    return ApiError(404, "not_found", f"No such {what}.")


# The error statuses every operation may answer, for the OpenAPI document: a body
# that is not a JSON object (400), no or a bad token (401), scope or CSRF (403), the rate
# limit (429), and a URL over the web server's request-line limit (414: gunicorn answers it
# before the API, so not in the error shape).
AUTH_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 414: None, 429: ErrorOut}

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid_request",
    429: "rate_limited",
}


def _field_name(location):
    # ("query", "limit") -> "query.limit"; ninja puts the parameter group first.
    return ".".join(str(part) for part in location if part not in ("payload",)) or "request"


def install(api):
    """Register the handlers that give every error the one shape."""

    def respond(request, status, code, message, headers=None, **extra):
        response = api.create_response(request, {"code": code, "message": message, **extra}, status=status)
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    @api.exception_handler(ApiError)
    def api_error(request, exc):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return respond(request, exc.status, exc.code, exc.message, headers, **exc.extra)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc):
        errors = [
            {"field": _field_name(error.get("loc", ())), "message": str(error.get("msg", "Invalid value."))}
            for error in exc.errors
        ]
        first = errors[0] if errors else {"field": "request", "message": "Invalid value."}
        message = f"The request is not valid: {first['field']}: {first['message']}"
        return respond(request, 422, "invalid_request", message, errors=errors)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        message = "Authentication required: send 'Authorization: Bearer <token>', or sign in."
        return respond(request, 401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})

    @api.exception_handler(AuthorizationError)
    def forbidden(request, exc):
        return respond(request, 403, "forbidden", str(exc) or "You may not do this.")

    @api.exception_handler(Throttled)
    def throttled(request, exc):
        # ninja adds Retry-After to this response.
        wait = f" Retry after {exc.wait:.0f} seconds." if exc.wait else ""
        return respond(request, 429, "rate_limited", f"Too many requests for this token.{wait}")

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        status = exc.status_code
        if status == 400 and str(exc).startswith("Cannot parse request body"):
            return respond(request, 400, "bad_request", "The body must be a JSON object.")
        if status == 403 and "CSRF" in str(exc):
            return respond(request, 403, "csrf_failed", "CSRF check failed: send the X-CSRFToken header.")
        return respond(request, status, _CODES.get(status, "error"), str(exc))

    @api.exception_handler(Http404)
    def not_found_error(request, exc):
        return respond(request, 404, "not_found", "Not found.")

    @api.exception_handler(Exception)
    def server_error(request, exc):
        logger.exception("API error on %s %s", request.method, request.path)
        return respond(request, 500, "server_error", "Something went wrong on our side; it has been logged.")
