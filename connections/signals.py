"""`connection_event(sender=Connection, connection, event, now)`, sent inside the transaction
that changed the connection's state, exactly once per change (a conditional UPDATE decides).

`event` is one of EVENTS. The alerts app turns it into notices to the Admins
(alerts/connection_alerts.py); receivers write rows and queue on commit, no I/O.
"""

from django.dispatch import Signal

EVENTS = ("broken", "reminder", "restored", "expiring")

connection_event = Signal()
