"""A report as CSV (the command's contract), as a standalone HTML document (the email's), and as a PDF.

PDF: ReportLab, which installs from pure-Python wheels (its C speed-ups are optional)
and has been maintained since 2000. The PDF holds the same table as the CSV plus the
worst times and the longest time broken; pdftotext reads the blueprint names back.
"""

import csv
import io

from executions.text import strip_bidi

CSV_COLUMNS = (
    "blueprint", "connection", "started", "finished", "failed", "hidden", "success_rate",
    "incidents_opened", "incidents_resolved", "mtta_minutes", "mttr_minutes", "clients_affected",
)


def number(value, places=1):
    """Blank for "no value" (nothing finished, nothing acknowledged), else rounded."""
    return "" if value is None else f"{value:.{places}f}"


def csv_row(row):
    return [
        row.blueprint, row.connection, row.counts.started, row.counts.finished, row.counts.failed,
        row.counts.hidden, number(row.success_rate), row.incidents.opened, row.incidents.resolved,
        number(row.mtta_minutes), number(row.mttr_minutes), row.clients_affected,
    ]


def as_csv(report):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        # A spreadsheet runs a cell that starts with = + - @ as a formula: quote it as text.
        writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] and v[:1] in "=+-@" else v for v in csv_row(row)])
    return out.getvalue()


def as_html(report):
    """A standalone HTML document: the email's, which needs no stylesheet and links to the page."""
    from .emails import message

    return message(report).html


def duration(minutes):
    if minutes is None:
        return "–"
    if minutes < 120:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h"


def as_pdf(report):
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            title=f"Outcome report: {report.period.label}", author="Plannr monitor")
    total = report.totals
    story = [
        Paragraph(f"Outcome report: {report.period.label}", styles["Title"]),
        Paragraph(
            f"{total.started} execution{'' if total.started == 1 else 's'} started, {total.finished} finished, {total.failed} failed "
            f"({total.hidden} hidden failures), {total.late} late. Days run midnight to midnight in the "
            "project's time zone.", styles["BodyText"]),
        Spacer(1, 4 * mm),
    ]
    head = ["Blueprint", "Connection", "Started", "Finished", "Failed", "Hidden", "Late", "Missing windows",
            "Success %", "Incidents opened / resolved", "Acknowledge median / worst",
            "Resolve median / worst", "Longest broken", "Clients affected"]
    data = [[Paragraph(h, cell) for h in head]]
    for row in report.rows:
        data.append([
            Paragraph(_escape(strip_bidi(row.blueprint)), cell), Paragraph(_escape(row.connection), cell),
            row.counts.started, row.counts.finished, row.counts.failed, row.counts.hidden, row.counts.late,
            row.incidents.missing, number(row.success_rate) or "–",
            f"{row.incidents.opened} / {row.incidents.resolved}",
            f"{duration(row.mtta_minutes)} / {duration(row.mtta_worst_minutes)}",
            f"{duration(row.mttr_minutes)} / {duration(row.mttr_worst_minutes)}",
            duration(row.longest_broken_minutes) if row.incidents.longest_broken else "–",
            row.clients_affected,
        ])
    if not report.rows:
        story.append(Paragraph("No executions and no incidents in this period.", styles["BodyText"]))
    else:
        table = Table(data, repeatRows=1, colWidths=[50 * mm, 25 * mm] + [None] * 12)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ebef")),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        story.append(table)
    doc.build(story)
    return out.getvalue()


def _escape(text):
    # Paragraph reads a small XML markup: Plannr's text must not be taken for it.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
