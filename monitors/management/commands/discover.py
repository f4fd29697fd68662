from django.core.management.base import BaseCommand

from monitors import discovery


class Command(BaseCommand):
    help = "Run one discovery sweep of every active monitor synchronously, and say what it found."

    def handle(self, *args, **options):
        outcome = discovery.sweep()
        if not outcome.scopes:
            self.stdout.write("no active monitors: nothing to sweep")
            return
        for scope in outcome.scopes:
            state = "error: " + scope.error if scope.error else ("complete" if scope.complete else
                                                                 f"capped, {scope.lag_seconds:.0f}s behind")
            names = ", ".join(m.name for m in scope.monitors)
            self.stdout.write(f"{scope.key}: {scope.requests} request(s), {scope.pages} page(s), {state} [{names}]")
        for scope in outcome.scopes:
            for monitor in scope.monitors:
                found = outcome.findings.pop(monitor.pk, [])
                if found:
                    self.stdout.write(f"monitor {monitor.name!r} found {len(found)}: {', '.join(sorted(found))}")
        self.stdout.write(
            f"found {len(outcome.new_executions)} new execution(s) with {outcome.requests} request(s)"
        )
