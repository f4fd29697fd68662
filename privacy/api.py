"""The API's answers for callers without the personal-data scope: redacted before encoding.

One choke point for every JSON answer of /api/v1/ (the renderer), and one for its CSV
exports (`csv_rows`, used by api/exports.stream_csv).
"""

from ninja.renderers import JSONRenderer

from .access import api_may_see
from .redaction import NAME_KEYS, _redactor, initials, redact_data
from .rules import compiled_rules


class RedactingRenderer(JSONRenderer):
    def render(self, request, data, *, response_status):
        if response_status < 400 and not api_may_see(request):
            data = redact_data(data)
        return super().render(request, data, response_status=response_status)


def csv_rows(request, header, rows):
    """`rows` as the caller may see them: client columns as initials, every text cell redacted
    (the row's client name included, wherever it appears).

    Everything that needs the database is read now, before the rows' cursor is open."""
    if api_may_see(request):
        return rows
    rules = compiled_rules()
    name_columns = [i for i, column in enumerate(header) if column in NAME_KEYS]

    def redacted():
        for row in rows:
            names = [row[i] for i in name_columns if isinstance(row[i], str) and row[i]]
            redact_one = _redactor(names, rules)
            yield [initials(v) if i in name_columns and isinstance(v, str) else redact_one(v)
                   for i, v in enumerate(row)]

    return redacted()
