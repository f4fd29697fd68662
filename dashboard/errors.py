"""Bad input on a page: a 400 that says what was wrong (templates/400.html shows it).

Views raise BadInput("what was wrong"); `bad_request` is the project's handler400.
"""

from datetime import timedelta

from django.core.exceptions import BadRequest
from django.shortcuts import render

# PostgreSQL refuses a UTC offset of 16 hours or more ("time zone displacement out of
# range"), though Python and RFC 3339 allow up to 23:59: such a time must be refused
# before it reaches a query.
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)
OFFSET_MESSAGE = "give a UTC offset between -15:59 and +15:59"


class BadInput(BadRequest):
    """The request could not be understood; the message is shown to the person."""


def bad_request(request, exception):
    message = str(exception) if isinstance(exception, BadInput) else ""
    return render(request, "400.html", {"message": message}, status=400)


def is_id(value):
    """A database id as sent by a form: ASCII digits only (str.isdigit() also takes '²' and '٣')."""
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18


def ids(values, what):
    """Every value as an id, or BadInput naming `what`."""
    if not all(is_id(v) for v in values):
        raise BadInput(f"Choose {what} from the list: each is sent as its number.")
    return [int(v) for v in values]


def offset_in_range(value):
    """True for a naive datetime or one whose UTC offset PostgreSQL can store."""
    offset = value.utcoffset() if value is not None else None
    return offset is None or abs(offset) <= MAX_UTC_OFFSET
