from django.core.management.base import BaseCommand

from executions import polling


class Command(BaseCommand):
    help = "Run one full poll cycle synchronously: every due execution, in batches."

    def handle(self, *args, **options):
        outcome = polling.run_cycle()
        batches = outcome.batches
        self.stdout.write(
            f"polled {sum(b.polled for b in batches)} execution(s) in {len(batches)} batch(es) "
            f"with {outcome.requests} request(s): {sum(b.changed for b in batches)} changed, "
            f"{sum(b.unchanged for b in batches)} unchanged, {sum(b.not_found for b in batches)} not found, "
            f"{sum(b.errors for b in batches)} error(s)"
        )
