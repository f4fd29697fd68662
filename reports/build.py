"""One period's outcome report: a row per blueprint and connection, and the daily series.

Execution counts are the live executions' (`monitors.daycounts.count`) plus what pruned
ones left in `BlueprintDay`, so the report reads the same after retention; incident
figures come from the incidents' history (reports/incident_stats.py). Queries: one for the
live counts, one for the failing clients, one for the stored days, two for incidents,
one for connection names, whatever the number of executions.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from connections.models import Connection
from executions.models import Execution
from monitors.daycounts import DayCounts, count
from monitors.models import BlueprintDay

from . import incident_stats
from .incident_stats import median, worst


@dataclass
class Row:
    blueprint: str
    connection: str
    counts: DayCounts
    incidents: incident_stats.IncidentFigures
    connection_id: int | None = None

    @property
    def success_rate(self):
        """Finished executions without a failure, in percent (None when none finished)."""
        if not self.counts.finished:
            return None
        return 100.0 * (self.counts.finished - self.counts.failed) / self.counts.finished

    @property
    def clients_affected(self):
        return len(self.counts.clients)

    def minutes(self, values, how):
        value = how(values)
        return None if value is None else value / 60

    @property
    def mtta_minutes(self):
        return self.minutes(self.incidents.to_acknowledge, median)

    @property
    def mtta_worst_minutes(self):
        return self.minutes(self.incidents.to_acknowledge, worst)

    @property
    def mttr_minutes(self):
        return self.minutes(self.incidents.to_resolve, median)

    @property
    def mttr_worst_minutes(self):
        return self.minutes(self.incidents.to_resolve, worst)

    @property
    def longest_broken_minutes(self):
        return self.incidents.longest_broken / 60


@dataclass
class Report:
    period: object
    rows: list
    # [(day, started, failed)] for the chart, every day of the period.
    daily: list = field(default_factory=list)

    @property
    def totals(self):
        total = DayCounts()
        for row in self.rows:
            total.add(row.counts)
        return total


def build(period, now=None):
    now = now or timezone.now()
    start, end = period.bounds()
    live = Execution.objects.exclude(name="").annotate(born=Coalesce("remote_created_at", "created_at")).filter(
        born__gte=start, born__lt=end
    )
    per_key, per_day = {}, {day: DayCounts() for day in period.days}

    def add(day, connection_id, name, counts):
        per_key.setdefault((name, connection_id), DayCounts()).add(counts)
        per_day.setdefault(day, DayCounts()).add(counts)

    for (day, connection_id, name), counts in count(live).items():
        add(day, connection_id, name, counts)
    stored = BlueprintDay.objects.filter(day__gte=period.start, day__lte=period.end)
    for row in stored:
        add(row.day, row.connection_id, row.blueprint_name, DayCounts(
            row.executions, row.finished, row.failed, row.hidden, row.late, row.failing, set(row.client_hashes)
        ))
    incidents = incident_stats.figures(start, end, now)
    names = dict(Connection.objects.filter(Q(pk__in=[k[1] for k in [*per_key, *incidents]])).values_list("pk", "name"))
    rows = [
        Row(name, names.get(connection_id, ""), per_key.get((name, connection_id), DayCounts()),
            incidents.get((name, connection_id), incident_stats.IncidentFigures()), connection_id)
        for name, connection_id in {*per_key, *incidents}
    ]
    rows.sort(key=lambda r: (r.blueprint.casefold(), r.connection.casefold()))
    daily = [(day, c.started, c.failed) for day, c in sorted(per_day.items())]
    return Report(period, rows, daily)
