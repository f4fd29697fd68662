"""Everything that changes a connection: connect, test, break, restore, rename, pause, delete.

A state change that must tell someone is a conditional UPDATE plus the
`connection_event` signal in the same transaction: the alerts app writes the
notices (outbox rows) there, so a break is told exactly once however many
workers see the 401.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import audit
from plannr import PlannrError, Unauthorized
from plannr.client import EXECUTIONS_PATH

from .accounts import AccountChoiceError, choose_account
from .clients import build_client, client_for
from .models import AuthKind, BreakKind, Connection
from .signals import connection_event

logger = logging.getLogger("connections")


class ConnectError(Exception):
    """Plannr refused the credentials, or no account could be chosen; nothing was stored."""


def probe(base_url, token, account=None):
    """(Account, budget remaining): the token's logins, the account chosen by the rules, and one
    request acting for it. Raises ConnectError with Plannr's message."""
    try:
        client = build_client(base_url, token)
        body = client.get_logins()
        chosen = choose_account(body, explicit=account)
        acting = build_client(base_url, token, account_uuid=chosen.uuid)
        acting.list_page(EXECUTIONS_PATH, "per_page=1")
    except AccountChoiceError as exc:
        raise ConnectError(str(exc)) from None
    except (PlannrError, ValueError) as exc:
        raise ConnectError(f"Plannr refused the connection: {exc}") from None
    return chosen, acting.ratelimit_remaining


def accounts_for(base_url, token):
    """Every account of the token's logins (the page's "choose the account" list)."""
    from .accounts import accounts_of

    try:
        return accounts_of(build_client(base_url, token).get_logins())
    except (PlannrError, ValueError) as exc:
        raise ConnectError(f"Plannr refused the connection: {exc}") from None


def connect(name, token, *, base_url=None, account=None, expires=None, refresh_token=None,
            access_expires_at=None, actor=None, now=None):
    """Create, or update by name, a connection after testing it. Returns (connection, created)."""
    now = now or timezone.now()
    name = (name or "").strip()
    if not name:
        raise ConnectError("A connection needs a name.")
    base_url = (base_url or settings.PLANNR_BASE_URL).strip().rstrip("/")
    chosen, remaining = probe(base_url, token, account)
    with transaction.atomic():
        connection = Connection.objects.select_for_update().filter(name=name).first()
        created = connection is None
        if created:
            connection = Connection(name=name)
        connection.base_url = base_url
        connection.auth_kind = AuthKind.OAUTH if refresh_token else AuthKind.TOKEN
        connection.set_token(token, refresh_token=refresh_token or "")
        connection.access_expires_at = access_expires_at
        connection.account_uuid, connection.account_name = chosen.uuid, chosen.name
        connection.account_type, connection.firm_name = chosen.type, chosen.firm
        connection.expires_at = expires
        connection.expiry_warned_days = None
        connection.last_success = now
        connection.ratelimit_remaining = remaining
        connection.save()
        audit.record("connection.create" if created else "connection.update", actor=actor,
                     target=f"connection:{connection.pk}",
                     after={"name": name, "base_url": base_url, "account_uuid": chosen.uuid})
        restore(connection.pk, reason="new credentials", now=now)
    connection.refresh_from_db()
    return connection, created


def test(connection, now=None):
    """One logins request and one request acting for the account. Restores the connection when
    they succeed, breaks it when Plannr refuses. Returns (ok, message)."""
    now = now or timezone.now()
    try:
        client = client_for(ensure_account(connection, now), now)
        client.get_logins()
        client.list_page(EXECUTIONS_PATH, "per_page=1")
    except Unauthorized as exc:
        mark_broken(connection.pk, str(exc), now)
        return False, str(exc)
    except PlannrError as exc:
        return False, str(exc)
    record_success(connection.pk, now, client.ratelimit_remaining)
    return True, f"connection {connection.name} account {connection.account_label}"


def ensure_account(connection, now=None):
    """A connection without an account (the environment's default, first use) gets one by the rules."""
    if connection.account_uuid:
        return connection
    try:
        body = build_client(connection.base_url, connection.token(), budget_key=connection.budget_key).get_logins()
        chosen = choose_account(body)
    except AccountChoiceError as exc:
        mark_broken(connection.pk, str(exc), now or timezone.now())
        raise Unauthorized(str(exc)) from None
    except Unauthorized as exc:
        mark_broken(connection.pk, str(exc), now or timezone.now())
        raise
    Connection.objects.filter(pk=connection.pk).update(
        account_uuid=chosen.uuid, account_name=chosen.name, account_type=chosen.type, firm_name=chosen.firm
    )
    connection.refresh_from_db()
    logger.info("connection %s acts for account %s", connection.name, connection.account_label)
    return connection


def mark_broken(connection_id, reason, now, kind=BreakKind.REFUSED):
    """Mark the connection broken (once per break: the Admins hear of it once)."""
    reason = (reason or "")[:1000]
    with transaction.atomic():
        fresh = Connection.objects.filter(pk=connection_id, broken_since__isnull=True).update(
            broken_since=now, break_kind=kind, broken_reason=reason, last_alerted_at=now
        )
        if fresh:
            connection = Connection.objects.get(pk=connection_id)
            connection_event.send(sender=Connection, connection=connection, event="broken", now=now)
            logger.error("connection %s is broken: %s", connection.name, reason,
                         extra={"connection": connection.name})
        elif kind == BreakKind.REFUSED:
            # A refusal while degraded: polling stops, but it is the same break (no second alert).
            Connection.objects.filter(pk=connection_id, break_kind=BreakKind.DEGRADED).update(
                break_kind=kind, broken_reason=reason
            )
    return bool(fresh)


def restore(connection_id, *, reason="", now=None):
    """End a break (a new token, a successful test or poll): one "restored" notice, polling resumes."""
    now = now or timezone.now()
    with transaction.atomic():
        connection = Connection.objects.filter(pk=connection_id, broken_since__isnull=False).first()
        if connection is None:
            return False
        since = connection.broken_since
        if not Connection.objects.filter(pk=connection_id, broken_since=since).update(
            broken_since=None, break_kind=BreakKind.NONE, broken_reason="", last_alerted_at=None
        ):
            return False
        connection.broken_since, connection.broken_reason = since, reason
        connection_event.send(sender=Connection, connection=connection, event="restored", now=now)
        logger.warning("connection %s restored (%s)", connection.name, reason, extra={"connection": connection.name})
    # What waited for the connection is due now: polled within one dispatch.
    from django.apps import apps

    apps.get_model("executions", "Execution").objects.filter(
        connection_id=connection_id, next_poll_at__isnull=False
    ).update(next_poll_at=now)
    return True


# A routine poll that changed nothing writes only its FinishedClaim: `last_success` is
# written at most this often per process and connection (it is exact to within it).
SUCCESS_WRITE_SECONDS = 5
_success_written = {}


def record_success(connection_id, now, remaining=None, broken=None):
    """A request went through: `last_success`, and the end of any break.

    `broken`: whether the caller's copy of the connection is broken (None: look).
    """
    if broken is None:
        broken = Connection.objects.filter(pk=connection_id, broken_since__isnull=False).exists()
    last = _success_written.get(connection_id)
    if broken or last is None or abs((now - last).total_seconds()) >= SUCCESS_WRITE_SECONDS:
        fields = {"last_success": now}
        if remaining is not None:
            fields["ratelimit_remaining"] = remaining
        Connection.objects.filter(pk=connection_id).update(**fields)
        _success_written[connection_id] = now
    if broken:
        restore(connection_id, reason="a request succeeded", now=now)


def rename(connection, name, actor=None):
    name = (name or "").strip()
    if not name:
        raise ConnectError("A connection needs a name.")
    if Connection.objects.filter(name=name).exclude(pk=connection.pk).exists():
        raise ConnectError(f"There is already a connection named {name}.")
    with transaction.atomic():
        before = connection.name
        Connection.objects.filter(pk=connection.pk).update(name=name)
        audit.record("connection.update", actor=actor, target=f"connection:{connection.pk}",
                     before={"name": before}, after={"name": name})


def set_paused(connection, paused, actor=None):
    with transaction.atomic():
        Connection.objects.filter(pk=connection.pk).update(paused=paused)
        audit.record("connection.pause" if paused else "connection.resume", actor=actor,
                     target=f"connection:{connection.pk}")
    if not paused:
        from django.apps import apps

        apps.get_model("executions", "Execution").objects.filter(
            connection_id=connection.pk, next_poll_at__isnull=False
        ).update(next_poll_at=timezone.now())


def delete(connection, *, move_to=None, actor=None):
    """Delete a connection: its executions are deleted too, or move to `move_to`. Returns how many."""
    from django.apps import apps

    Execution = apps.get_model("executions", "Execution")
    Monitor = apps.get_model("monitors", "Monitor")
    Expectation = apps.get_model("expectations", "Expectation")
    with transaction.atomic():
        executions = Execution.objects.filter(connection=connection)
        count = executions.count()
        if move_to is not None:
            # An execution the target already has stays with it; this connection's copy goes.
            clash = Execution.objects.filter(connection=move_to).values("uuid")
            executions.filter(uuid__in=clash).delete()
            executions.update(connection=move_to)
            Monitor.objects.filter(connection=connection).update(connection=move_to)
            Expectation.objects.filter(connection=connection).update(connection=move_to)
        else:
            executions.delete()
            Monitor.objects.filter(connection=connection).delete()
            Expectation.objects.filter(connection=connection).delete()
        audit.record("connection.delete", actor=actor, target=f"connection:{connection.pk}",
                     before={"name": connection.name, "executions": count},
                     after={"moved_to": move_to.name if move_to else None})
        connection.delete()
    return count


def rotate_keys(batch=500):
    """Re-encrypt every connection's secrets under the first key of FIELD_ENCRYPTION_KEYS."""
    from dashboard import crypto

    count = 0
    for c in Connection.objects.only("pk", "token_encrypted", "refresh_token_encrypted").iterator(batch):
        fields = {
            name: crypto.rotate(getattr(c, name))
            for name in ("token_encrypted", "refresh_token_encrypted") if getattr(c, name)
        }
        if fields:
            Connection.objects.filter(pk=c.pk).update(**fields)
        count += 1
    return count


def expiry_day(text):
    """YYYY-MM-DD, or ValueError with a clear message."""
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"{text!r} is not a date as YYYY-MM-DD") from None
