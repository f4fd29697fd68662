"""Signal receivers, connected in IncidentsConfig.ready()."""

from . import grouping


def group_failures(sender, execution, failures, **kwargs):
    """Inside the ingest transaction: an exception rolls the poll back, so nothing is half-grouped."""
    if failures:
        grouping.record(execution, failures)
