"""What incidents asks of the apps above it, which register here (incidents imports none of them).

- The severity rule: routing registers `routing.severity.of_incident` in its ready(); until
  then (and in a project without routing) an incident keeps the severity it has.
Status changes are announced by the `status_changed` signal (incidents/signals.py).
"""

_severity_rule = None


def register_severity_rule(rule):
    global _severity_rule
    _severity_rule = rule


def severity_of(incident):
    return _severity_rule(incident) if _severity_rule is not None else incident.severity
