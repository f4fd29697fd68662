"""What accounts asks of the apps above it about a user's other credentials.

API tokens live in api/, which sits above accounts; the profile page and "sign out
everywhere" reach them through these signals, so accounts never imports api. A
receiver returns a number; the sender adds them up.
"""

from django.dispatch import Signal

# kwargs: user. Returns how many live API credentials the user holds.
count_api_access = Signal()
# kwargs: user. Sent inside "sign out everywhere"'s transaction when the user also asked
# to revoke API access. Returns how many credentials it revoked.
revoke_api_access = Signal()


def total(signal, user):
    return sum(result or 0 for _, result in signal.send(sender=None, user=user))
