"""`python manage.py report --period week|month [--end YYYY-MM-DD] [--format csv|pdf|html] [--out PATH]`.

Prints (or writes to PATH) the outcome report of the week or month that contains `--end`;
without it, the last full one (the period that ended yesterday). CSV columns are a
contract: reports.formats.CSV_COLUMNS.
"""

import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reports import formats, periods
from reports.build import build


class Command(BaseCommand):
    help = "Write the outcome report of a week or a month as CSV, PDF or HTML."

    def add_arguments(self, parser):
        parser.add_argument("--period", choices=periods.KINDS, required=True)
        parser.add_argument("--end", help="a day of the period (YYYY-MM-DD); default: the last full period")
        parser.add_argument("--format", choices=("csv", "pdf", "html"), default="csv")
        parser.add_argument("--out", help="a file to write; default: standard output")

    def handle(self, *args, period, end, format, out, **options):
        if end:
            try:
                day = date.fromisoformat(end)
            except ValueError:
                raise CommandError(f"--end must be a date such as 2026-11-30, not {end!r}") from None
            chosen = periods.containing(period, day)
        else:
            chosen = periods.last_full(period)
        report = build(chosen)
        if format == "pdf":
            content = formats.as_pdf(report)
        else:
            content = (formats.as_csv(report) if format == "csv" else formats.as_html(report)).encode()
        if out:
            with open(out, "wb") as handle:
                handle.write(content)
            self.stderr.write(f"{chosen.label}: {len(report.rows)} rows written to {out}")
        elif format == "pdf":
            if sys.stdout.isatty():
                raise CommandError("a PDF is binary: pass --out PATH or redirect standard output")
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()
        else:
            self.stdout.write(content.decode(), ending="")
