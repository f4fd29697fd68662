"""Signals the outbox sends to the apps above it (which channels never imports).

`sweeping(sender, enqueue)`: the sweeper is about to run; a receiver writes the deliveries
that fall due with time (alerts: reminders) and queues them through `enqueue`.
"""

from django.dispatch import Signal

sweeping = Signal()
