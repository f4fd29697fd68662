"""Writing audit rows.

    audit.record("monitor.update", actor=request.user, target=f"monitor:{m.pk}",
                 before={"name": old}, after={"name": new})

- Call it inside the transaction of the change, so the row exists exactly when the change does.
- `actor` defaults to the signed-in user of the current request, `ip` to its address.
  A change the product makes by itself (an incident reopened by a regression, a snooze
  ending, a stall clearing) passes `actor_name=SYSTEM`: it is nobody's, so it takes neither
  the request's user nor its address. A row with neither actor nor name is ops tooling
  at the command line (`manage.py`), trusted like the server itself.
- `before`/`after`: JSON-able dicts of the values that changed. Any key that names a
  secret (password, token, secret, key, code, url...) is stored as "[redacted]", so a
  caller cannot leak one by accident; never pass secrets in `target` either.

Action names in use (one word per concept, "<thing>.<verb>"):
auth.sign_in, auth.sign_in_failed, auth.sign_out, auth.sign_out_everywhere,
auth.password_change (after: how = own, reset or admin),
mfa.enrol, mfa.remove, watch.add, watch.remove, role.change, profile.update,
monitor.create, monitor.update, monitor.pause, monitor.resume, monitor.delete,
incident.status (before/after status: acknowledge, resolve, ignore, snooze, reopen and the
system's own changes), incident.assign, incident.escalate (an escalation step taken, routing/),
incident.action_link (an alert's Acknowledge/Resolve link used), route.create, route.move, blueprint.severity,
api_token.create, api_token.revoke.
Channels use channel.create / channel.update / channel.delete / channel.test.
Expectations: expectation.create, expectation.accept (a learned suggestion accepted).
Plannr connections: connection.create, connection.update, connection.pause, connection.resume,
connection.delete.
"""

from . import SYSTEM, context
from .models import AuditEvent

REDACTED = "[redacted]"
_SECRET_WORDS = ("password", "secret", "token", "key", "code", "url", "otp", "credential", "signature")


def scrub(value):
    if isinstance(value, dict):
        return {
            k: REDACTED if any(w in str(k).lower() for w in _SECRET_WORDS) else scrub(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def record(action, *, actor=None, actor_name="", target="", before=None, after=None, ip=None, at=None):
    info = None if actor_name == SYSTEM else context.current()
    if actor is None and info is not None:
        actor = info.user
    if ip is None and info is not None:
        ip = info.ip
    if actor is not None and not actor_name:
        actor_name = actor.get_username()
    event = AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor_name[:150],
        ip=ip or None,
        action=action,
        target=str(target)[:255],
        before=scrub(before),
        after=scrub(after),
    )
    if at is not None:
        event.at = at
    event.save()
    return event
