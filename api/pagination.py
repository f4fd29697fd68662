"""Paging for every list the API answers: page numbers, or opaque cursors over a keyset.

Page numbers suit people browsing (the watchlist's own paging). Cursors suit
scripts that sync: a cursor holds the sort values of the last row sent, so rows
added or changed meanwhile neither repeat nor go missing the way an offset would.
"""

import base64
import json
import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q

from .errors import ApiError

MAX_LIMIT = 200


@dataclass(frozen=True)
class OrderField:
    path: str  # ORM path, e.g. "execution__last_polled_at"
    descending: bool
    nullable: bool


def _model_field(model, path):
    field = None
    for part in path.split("__"):
        field = model._meta.get_field(part)
        model = field.related_model or model
    return field


def order_fields(model, paths, descending):
    """The keyset for ordering `model` by `paths`, with the primary key as the tiebreaker."""
    return keyset(model, [(p, descending) for p in paths])


def keyset(model, spec):
    """The keyset for [(path, descending), ...]; the primary key breaks ties in the last direction."""
    fields = [OrderField(p, d, _model_field(model, p).null) for p, d in spec]
    return fields + [OrderField("id", spec[-1][1], False)]


def order_by(fields):
    """ORDER BY expressions; nulls sort last in both directions."""
    return [
        (F(f.path).desc(nulls_last=True) if f.descending else F(f.path).asc(nulls_last=True))
        if f.nullable
        else (F(f.path).desc() if f.descending else F(f.path).asc())
        for f in fields
    ]


def _value(row, path):
    for part in path.split("__"):
        row = getattr(row, part)
    return row


def _after(fields, values):
    """Rows that sort after the row with these values (lexicographic, nulls last)."""
    condition = Q(pk__in=[])
    equal = Q()
    for field, value in zip(fields, values):
        if value is not None:
            later = Q(**{f"{field.path}__lt" if field.descending else f"{field.path}__gt": value})
            if field.nullable:
                later |= Q(**{f"{field.path}__isnull": True})
            condition |= equal & later
            equal &= Q(**{field.path: value})
        else:
            # Nothing sorts after a null but other nulls, which the next field orders.
            equal &= Q(**{f"{field.path}__isnull": True})
    return condition


def encode_cursor(kind, fields, row):
    values = []
    for field in fields:
        value = _value(row, field.path)
        values.append(value.isoformat() if hasattr(value, "isoformat") else value)
    raw = json.dumps([kind, values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(model, kind, fields, cursor):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        found_kind, values = json.loads(raw)
        if found_kind != kind or len(values) != len(fields):
            raise ValueError("cursor for another listing")
        return [
            None if value is None else _model_field(model, field.path).to_python(value)
            for field, value in zip(fields, values)
        ]
    except (ValueError, TypeError, DjangoValidationError, UnicodeDecodeError):
        raise ApiError(
            422, "invalid_cursor", "This cursor is not valid for this listing: start again without one."
        ) from None


@dataclass
class CursorPage:
    items: list
    next_cursor: str | None


def cursor_page(queryset, fields, *, kind, cursor=None, limit=50):
    """One page of `queryset` in `fields` order, after `cursor`; `kind` ties cursors to a listing."""
    if cursor:
        queryset = queryset.filter(_after(fields, _decode_cursor(queryset.model, kind, fields, cursor)))
    rows = list(queryset.order_by(*order_by(fields))[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return CursorPage(items=rows, next_cursor=encode_cursor(kind, fields, rows[-1]) if more else None)


@dataclass
class NumberedPage:
    items: list
    page: int
    page_size: int
    total: int
    pages: int


def numbered_page(queryset, fields, *, page=1, page_size=50):
    total = queryset.count()
    pages = max(1, math.ceil(total / page_size))
    page = min(page, pages)
    offset = (page - 1) * page_size
    items = list(queryset.order_by(*order_by(fields))[offset : offset + page_size])
    return NumberedPage(items=items, page=page, page_size=page_size, total=total, pages=pages)
