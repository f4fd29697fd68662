"""Per-user alert settings, created lazily: a user without a row gets the defaults."""

from .models import AlertPreference, new_opt_out_fields


def get_preference(user):
    preference, _ = AlertPreference.objects.get_or_create(user=user)
    return preference


def lock_preferences(user_ids):
    """Create any missing rows, then lock them all; returns {user_id: AlertPreference}.

    The row lock serialises everything that counts or reads a user's throttle
    window (recording new deliveries, claiming a digest). Locking in user-id order
    keeps two transactions that lock overlapping users from deadlocking. Must be
    called inside a transaction. (SQLite has no row locks; its IMMEDIATE
    transactions already serialise every writer.)
    """
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return {}
    AlertPreference.objects.bulk_create([AlertPreference(user_id=u, **new_opt_out_fields()) for u in user_ids], ignore_conflicts=True)
    rows = AlertPreference.objects.select_for_update().filter(user_id__in=user_ids).order_by("user_id")
    return {p.user_id: p for p in rows}
