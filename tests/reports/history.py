"""A known week of Plannr history, played through the simulator over real HTTP.

Discovery (an "everything" monitor) finds the executions and applies their first poll;
one is finished later by a poll. time-machine puts each step at its moment of last
week (the simulator, in this process, travels with it), so incidents open, are
acknowledged and resolved at known times.
"""

from datetime import datetime, time, timedelta
from io import StringIO

import time_machine
from django.core.management import call_command

from executions.models import Execution
from incidents import services as incident_services
from incidents.models import Incident
from monitors.daycounts import project_zone
from reports import periods
from tests.monitors.builders import everything

WELCOME = "Send client welcome pack to newly created client"
REVIEW = "Annual review reminder"
FAILED_INFO = '{"errors": ["the account_uuid field is required"]}'
HIDDEN_INFO = '{"errors": ["Mailbox full for the client"]}'

# The CSV the week must give, exactly (reports.formats.CSV_COLUMNS).
EXPECTED_CSV = (
    "blueprint,connection,started,finished,failed,hidden,success_rate,incidents_opened,incidents_resolved,"
    "mtta_minutes,mttr_minutes,clients_affected\n"
    f"{REVIEW},default,2,2,0,0,100.0,0,0,,,0\n"
    f"{WELCOME},default,6,5,2,1,60.0,2,2,22.5,90.0,2\n"
)


def at(period, weekday, hour, minute=0):
    return datetime.combine(period.start + timedelta(days=weekday), time(hour, minute), project_zone())


def discover():
    call_command("discover", stdout=StringIO())



def play_week(simulator, owner):
    """Last full week: returns its Period. See EXPECTED_CSV for what it must report."""
    period = periods.last_full("week")
    everything(owner, backfill_days=14)
    client = [{"first_name": f"Client{n}", "last_name": "Known"} for n in range(5)]
    tuesday = at(period, 1, 10)

    def create(name, when, account, status="completed", steps=None):
        steps = steps or [{"name": "Create client folder", "status": "completed"}]
        return simulator.create_execution(
            name=name, status=status, steps=steps, account=account, created_at=when.isoformat()
        )["uuid"]

    with time_machine.travel(tuesday, tick=True):
        create(WELCOME, tuesday - timedelta(minutes=50), client[1])
        create(WELCOME, tuesday - timedelta(minutes=40), client[2])
        running = create(WELCOME, tuesday - timedelta(minutes=30), client[3], status="in_progress")
        create(WELCOME, tuesday - timedelta(minutes=20), client[1], status="failed",
               steps=[{"name": "Send SMS", "status": "failed", "info": FAILED_INFO}])
        discover()
        failed = Incident.objects.get()
    with time_machine.travel(tuesday + timedelta(minutes=10), tick=True):
        # The running one finishes; a poll (the poll command, over HTTP) sees it.
        simulator.drive(running, status="completed")
        Execution.objects.filter(uuid=running).update(next_poll_at=tuesday)
        call_command("poll", stdout=StringIO())
        assert Execution.objects.get(uuid=running).is_finished
    with time_machine.travel(tuesday + timedelta(minutes=30), tick=False):
        incident_services.acknowledge(failed, owner)
    with time_machine.travel(tuesday + timedelta(hours=2), tick=False):
        incident_services.resolve(failed, owner)

    wednesday = at(period, 2, 10)
    with time_machine.travel(wednesday, tick=True):
        create(WELCOME, wednesday - timedelta(minutes=30), client[4],
               steps=[{"name": "Send SMS", "status": "completed", "info": HIDDEN_INFO}])
        create(WELCOME, wednesday - timedelta(minutes=20), client[0], status="in_progress")
        create(REVIEW, wednesday - timedelta(minutes=15), client[2])
        create(REVIEW, wednesday - timedelta(minutes=10), client[3])
        discover()
        hidden = Incident.objects.exclude(pk=failed.pk).get()
    with time_machine.travel(wednesday + timedelta(minutes=15), tick=False):
        incident_services.acknowledge(hidden, owner)
    with time_machine.travel(wednesday + timedelta(hours=1), tick=False):
        incident_services.resolve(hidden, owner)
    return period
