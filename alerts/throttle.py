"""At most ALERT_EMAILS_PER_HOUR alert emails per user per window; the rest go in one digest.

A user's window opens with the first alert recorded while no window is open and
lasts one hour. Its first N alerts (N = ALERT_EMAILS_PER_HOUR) are sent as usual;
later ones in the same hour are held and listed in one digest email, sent when
the window ends. The next alert after that opens a new window. Alerts are counted
when they are recorded (when the failure is detected), not when SMTP accepts
them, so an outage does not let a backlog through uncapped.

Callers hold the user's preference row lock (preferences.lock_preferences), so
two transactions can never both take the N-th place of a window.
"""

from datetime import timedelta

from django.conf import settings

from channels.models import Delivery, DeliveryState, Kind, Topic

from .models import ThrottleWindow

WINDOW = timedelta(hours=1)


def _open_window(user_id, now):
    # Not `starts_at <= now`: `now` was read before waiting for the lock, so a
    # window opened by the transaction we waited for may start a moment later.
    window = ThrottleWindow.objects.filter(user_id=user_id, ends_at__gt=now).order_by("-starts_at").first()
    return window or ThrottleWindow.objects.create(user_id=user_id, starts_at=now, ends_at=now + WINDOW)


def admit(user_id, count, now):
    """Decide for `count` new deliveries of one user: a list of (state, window, digest)."""
    cap = settings.ALERT_EMAILS_PER_HOUR
    window = _open_window(user_id, now)
    digest = None
    decisions = []
    for _ in range(count):
        if window.admitted < cap:
            window.admitted += 1
            decisions.append((DeliveryState.PENDING, window, None))
            continue
        if digest is None:
            digest, _ = Delivery.objects.get_or_create(
                topic=Topic.DIGEST, window=window,
                defaults={"user_id": user_id, "kind": Kind.EMAIL, "next_attempt_at": window.ends_at},
            )
        if digest.attempts:
            # The digest was already claimed (a sweeper whose clock runs ahead):
            # its list is final, so this alert starts a fresh window instead.
            window.save(update_fields=["admitted"])
            window = ThrottleWindow.objects.create(user_id=user_id, starts_at=now, ends_at=now + WINDOW)
            digest = None
            window.admitted = 1
            decisions.append((DeliveryState.PENDING, window, None))
            continue
        decisions.append((DeliveryState.HELD, window, digest))
    window.save(update_fields=["admitted"])
    return decisions
