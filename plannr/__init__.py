"""The Plannr API client: typed executions, a lenient `info` parser, one exception per failure."""

from .client import PlannrClient
from .errors import (
    InvalidPayload,
    NotFound,
    PlannrError,
    PlannrTimeout,
    RateLimited,
    RequestTooLong,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedStatus,
)
from .info import InfoReport, parse_info
from .types import PlannrAccount, PlannrExecution, PlannrStep

__all__ = [
    "PlannrClient",
    "PlannrExecution",
    "PlannrStep",
    "PlannrAccount",
    "InfoReport",
    "parse_info",
    "PlannrError",
    "NotFound",
    "Unauthorized",
    "RateLimited",
    "ServerError",
    "UnexpectedStatus",
    "TransportError",
    "PlannrTimeout",
    "InvalidPayload",
    "RequestTooLong",
]
