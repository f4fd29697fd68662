"""Erasing one client (a data subject's erasure request): every stored trace, overwritten.

`erase_client(uuid, connection=None)` finds the client's executions (Plannr account
uuid), learns what identifies the client (names, email addresses, phone numbers: the
account objects of their snapshots, the names copied onto rows), then:

- their own rows lose the personal data outright: the execution's account name and
  step texts, the steps' info and messages, the snapshots' payload (account object and
  info texts) and raw payload, occurrences' and failure events' client names and texts;
- rows shared with others (incidents' samples and titles, the outbox's rows and notices,
  the delivery log, watch labels, audit rows' details) have each identifier
  overwritten with ERASED.

Rows are overwritten, never deleted: counts, statuses, step names, timestamps and
incident links stay, so incidents and reports are unchanged. Running it again changes
nothing (idempotent). It writes one audit row naming the client's uuid only.
"""

import json
import re
from collections import Counter

from django.db import transaction
from django.db.models import F, Q, TextField
from django.db.models.functions import Cast

ERASED = "[erased]"
# Account fields that are ids or kinds, not the person.
_NOT_PERSONAL = frozenset({"uuid", "id", "type", "created_at", "updated_at"})
# Shorter values would erase ordinary words.
_MIN_IDENTIFIER = 3


def _account_values(account, found):
    if isinstance(account, dict):
        for key, value in account.items():
            if key not in _NOT_PERSONAL:
                _account_values(value, found)
    elif isinstance(account, list):
        for value in account:
            _account_values(value, found)
    elif isinstance(account, str) and len(account.strip()) >= _MIN_IDENTIFIER:
        found.add(account.strip())


def _pattern(identifiers):
    """One case-insensitive pattern for all identifiers; a phone number matches however it is spaced."""
    parts = []
    for value in sorted(identifiers, key=len, reverse=True):
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 9 and len(digits) >= len(re.sub(r"[\s()+-]", "", value)) - 1:
            body = digits[1:] if digits.startswith("0") else digits[2:] if digits.startswith("44") else digits
            # 07700 900123, +44 7700 900123, 0044 (0)7700-900123
            parts.append(r"(?:\+?44\s?(?:\(0\)\s?)?|0)?[\s-]?" + r"[\s()-]*".join(body))
        else:
            parts.append(r"\s+".join(re.escape(w) for w in value.split()))
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


class _Scrubber:
    def __init__(self, identifiers):
        self.identifiers = identifiers
        self.pattern = _pattern(identifiers)

    def text(self, value):
        if not self.pattern or not isinstance(value, str):
            return value
        return self.pattern.sub(ERASED, value)

    def data(self, value):
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        return value

    def hits(self, field, json_field=False):
        """A filter for rows whose field may hold an identifier (icontains on each; phones by their tail)."""
        lookup = f"{field}_text__icontains" if json_field else f"{field}__icontains"
        q = Q()
        for value in self.identifiers:
            digits = re.sub(r"\D", "", value)
            q |= Q(**{lookup: digits[-4:] if len(digits) >= 9 else value})
        return q


def identifiers_of(executions):
    from executions.models import Snapshot
    from incidents.models import Occurrence

    found = set()
    for name in executions.exclude(account_name="").values_list("account_name", flat=True).distinct():
        if len(name.strip()) >= _MIN_IDENTIFIER:
            found.add(name.strip())
    for name in Occurrence.objects.filter(execution__in=executions).exclude(client_name="").values_list(
            "client_name", flat=True).distinct():
        if len(name.strip()) >= _MIN_IDENTIFIER:
            found.add(name.strip())
    for payload in Snapshot.objects.filter(execution__in=executions).values_list("payload", flat=True).iterator():
        if isinstance(payload, dict):
            _account_values(payload.get("account"), found)
    return found


def _clear_step_json(step):
    if not isinstance(step, dict):
        return step
    return {**step, "info": "", "messages": []}


def _erase_payload(payload, scrub):
    """A snapshot's payload with the account reduced to its uuid and every info text cleared."""
    if not isinstance(payload, dict):
        return scrub.data(payload)
    erased = {}
    for key, value in payload.items():
        if key == "account" and isinstance(value, dict):
            erased[key] = {k: v for k, v in value.items() if k in _NOT_PERSONAL}
        elif key in ("steps",) and isinstance(value, list):
            erased[key] = [_clear_step_json(scrub.data(s)) for s in value]
        elif key in ("next_step", "previous_step"):
            erased[key] = _clear_step_json(scrub.data(value))
        else:
            erased[key] = scrub.data(value)
    return erased


def _update_rows(changes, label, queryset, fields, transform):
    """Apply `transform(row) -> {field: value}` to each row; count the rows that changed."""
    from audit.models import AuditEvent

    updated = 0
    for row in queryset.only("pk", *fields).iterator():
        new = {k: v for k, v in transform(row).items() if getattr(row, k) != v}
        if not new:
            continue
        if isinstance(row, AuditEvent):
            # The one change an audit row ever takes (audit/models.py).
            AuditEvent.objects.erase_details(row.pk, **new)
        else:
            type(row)._base_manager.filter(pk=row.pk).update(**new)
        updated += 1
    if updated:
        changes[label] += updated


def erase_client(client_uuid, connection=None):
    """Erase one client's data. Returns a Counter {what: rows changed}."""
    from alerts.models import FailureEvent
    from audit import record
    from audit.models import AuditEvent
    from channels.models import Delivery, DeliveryAttempt
    from executions.models import Execution, Snapshot, Step, Watch
    from incidents.models import Incident, Occurrence

    changes = Counter()
    with transaction.atomic():
        executions = Execution.objects.filter(account_uuid=client_uuid)
        if connection:
            executions = executions.filter(connection__name=connection)
        scrub = _Scrubber(identifiers_of(executions))
        ids = list(executions.values_list("pk", flat=True))

        _update_rows(changes, "executions", Execution.objects.filter(pk__in=ids),
                     ["account_name", "failure_message", "next_step", "previous_step"],
                     lambda e: {"account_name": "", "failure_message": scrub.text(e.failure_message),
                                "next_step": _clear_step_json(e.next_step),
                                "previous_step": _clear_step_json(e.previous_step)})
        _update_rows(changes, "steps", Step.objects.filter(execution_id__in=ids), ["info", "messages"],
                     lambda s: {"info": "", "messages": []})
        _update_rows(changes, "snapshots", Snapshot.objects.filter(execution_id__in=ids), ["payload", "raw_payload"],
                     lambda s: {"payload": _erase_payload(s.payload, scrub), "raw_payload": ""})
        _update_rows(changes, "occurrences", Occurrence.objects.filter(execution_id__in=ids),
                     ["client_name", "raw_info", "messages"],
                     lambda o: {"client_name": "", "raw_info": "", "messages": []})
        _update_rows(changes, "failure events", FailureEvent.objects.filter(execution_id__in=ids),
                     ["client_name", "raw_info", "messages"],
                     lambda o: {"client_name": "", "raw_info": "", "messages": []})
        if scrub.identifiers:
            _scrub_shared(changes, scrub, Incident, ["title", "message", "sample_info"], ["sample_messages"], "incidents")
            _scrub_shared(changes, scrub, Delivery, ["last_error"], ["notice"], "outbox rows")
            _scrub_shared(changes, scrub, DeliveryAttempt, ["subject", "error"], [], "delivery log rows")
            _scrub_shared(changes, scrub, Watch, ["label"], [], "watch labels")
            _scrub_shared(changes, scrub, AuditEvent, ["target"], ["before", "after"], "audit rows")
        if ids:
            # Pages cache rendered rows by version: the old HTML must not be served again.
            Execution.objects.filter(pk__in=ids).update(version=F("version") + 1)
        record("client.erase", target=f"client:{client_uuid}")
    return changes


def _scrub_shared(changes, scrub, model, text_fields, json_fields, label):
    queryset = model._base_manager.all()
    q = Q()
    for field in text_fields:
        q |= scrub.hits(field)
    if json_fields:
        queryset = queryset.annotate(**{f"{f}_text": Cast(f, TextField()) for f in json_fields})
        for field in json_fields:
            q |= scrub.hits(field, json_field=True)
    fields = [*text_fields, *json_fields]
    _update_rows(changes, label, queryset.filter(q), fields,
                 lambda row: {f: (scrub.data(getattr(row, f)) if f in json_fields else scrub.text(getattr(row, f)))
                              for f in fields})


def describe(changes):
    if not changes:
        return "Nothing to erase: no stored data of this client was found (or it was erased already)."
    return "\n".join(f"{what}: {count} overwritten" for what, count in sorted(changes.items()))


def as_json(changes):
    return json.dumps(dict(changes), sort_keys=True)
