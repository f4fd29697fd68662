"""The audit log: append-only rows of who did what, when and from where.

Call `audit.record(action, ...)` inside the transaction of the change it records
(see audit/log.py for the arguments and the action names in use).
"""

# The actor name of a change the product makes by itself (see log.py).
SYSTEM = "system"


def record(action, **kwargs):
    from .log import record as _record

    return _record(action, **kwargs)
