"""What a table's address asks for: status filter, search, sort, page and page size.

The same parameters serve every table of executions, the API's watch listing and the
CSV export (they filter with ui.table.matching).
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings

# key -> label. "status" sorts by severity: failing, then running, then the rest.
SORT_LABELS = {
    "watched": "Watched",
    "status": "Status",
    "name": "Execution",
    "client": "Client",
    "progress": "Progress",
    "polled": "Last polled",
    "label": "Label",
}
DEFAULT_SORT = "status"
SEARCH_MAX = 200
PAGE_MAX = 10**6
PAGE_SIZES = (25, 50, 100, 200)


def _clean(value):
    # NUL cannot reach PostgreSQL (psycopg refuses it), and no real value holds one.
    return value.replace("\x00", "")


def default_page_size():
    return settings.WATCHLIST_PAGE_SIZE


@dataclass(frozen=True)
class Params:
    status: str = ""
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    size: int = 0  # 0: the default page size

    @classmethod
    def from_query(cls, query):
        """Params from a QueryDict. Anything that is not a valid value is ignored, never an error."""
        query = {key: _clean(query.get(key, "")) for key in ("status", "q", "sort", "page", "size")}
        sort = query["sort"] or DEFAULT_SORT
        if sort.lstrip("-") not in SORT_LABELS:
            sort = DEFAULT_SORT
        try:
            page = min(max(1, int(query["page"] or 1)), PAGE_MAX)
        except (TypeError, ValueError):
            page = 1
        try:
            size = int(query["size"] or 0)
        except (TypeError, ValueError):
            size = 0
        return cls(
            status=query["status"][:100],
            q=" ".join(query["q"].split())[:SEARCH_MAX],
            sort=sort,
            page=page,
            size=size if size in PAGE_SIZES and size != default_page_size() else 0,
        )

    @property
    def page_size(self):
        return self.size or default_page_size()

    def query_string(self, **changes):
        """The URL query for these params with `changes` applied, defaults left out."""
        values = {"status": self.status, "q": self.q, "sort": self.sort, "page": self.page, "size": self.size}
        values.update(changes)
        if values["sort"] == DEFAULT_SORT:
            values["sort"] = ""
        if values["page"] == 1:
            values["page"] = ""
        if values["size"] == default_page_size():
            values["size"] = ""
        return urlencode({k: v for k, v in values.items() if v})
