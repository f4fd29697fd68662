"""/api/v1/connections: the Plannr connections, read-only (Admins manage them on the Connections page).

Reading needs `accounts.manage_users`, as the page does (accounts.rules.API_RULES). No secret is part of the shape.
"""

from datetime import date, datetime
from typing import Literal

from ninja import Router, Schema

from connections.models import Connection

from .errors import AUTH_ERRORS, ErrorOut, not_found

router = Router(tags=["connections"])


class ConnectionOut(Schema):
    id: int
    name: str
    account_uuid: str | None
    account_name: str
    firm: str
    state: Literal["ok", "expiring", "broken"]
    broken_since: datetime | None
    broken_reason: str
    last_success: datetime | None
    expires_at: date | None
    paused: bool

    @staticmethod
    def from_connection(c):
        return ConnectionOut(
            id=c.pk, name=c.name, account_uuid=str(c.account_uuid) if c.account_uuid else None,
            account_name=c.account_name, firm=c.firm_name, state=str(c.state()), broken_since=c.broken_since,
            broken_reason=c.broken_reason, last_success=c.last_success, expires_at=c.expires_at, paused=c.paused,
        )


@router.get("", response={200: list[ConnectionOut], **AUTH_ERRORS}, summary="List Plannr connections")
def list_connections(request):
    return [ConnectionOut.from_connection(c) for c in Connection.objects.all()]


@router.get("/{connection_id}", response={200: ConnectionOut, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
            summary="One Plannr connection")
def get_connection(request, connection_id: int):
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        raise not_found("connection")
    return ConnectionOut.from_connection(connection)
