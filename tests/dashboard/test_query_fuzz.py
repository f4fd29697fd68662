"""Hostile query strings on every GET URL: a 400 or the parameter ignored, never a 500.

The URLs come from the resolver, so a new view is covered without touching this
file. Patterns with parameters are filled from their converters: a uuid is an
execution the user watches, an int an id that exists (or 1), a str a word.
"""

import uuid as uuid_lib
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from tests.builders import watch
from tests.dashboard.helpers import HTMX

pytestmark = pytest.mark.django_db

# Django's regex converters, for patterns not written with path().
_FILLERS = {"uuid": "uuid", "int": "int", "slug": "word", "str": "word", "path": "word"}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _fill(route, values):
    """A concrete path for a route: `<uuid:x>` and friends filled, regex routes reduced."""
    import re

    def converter(match):
        kind = match.group(1) or "str"
        return values[_FILLERS.get(kind, "word")]

    path = re.sub(r"<(?:(\w+):)?\w+>", converter, route)
    if path.startswith("^") or "(?P<" in path:
        # A regex route (the admin's): named groups become a word, anchors go.
        path = re.sub(r"\(\?P<\w+>[^)]*\)", values["word"], path)
        path = path.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
        if any(c in path for c in "()[]*+?|"):
            return None
    return "/" + path


def every_get_path(values):
    paths = []
    for route, pattern in _walk(get_resolver().url_patterns):
        path = _fill(route, values)
        if path is not None:
            paths.append(path)
    return sorted(set(paths))


@pytest.fixture
def paths(owner):
    w = watch(owner)
    return every_get_path({"uuid": str(w.execution.uuid), "int": str(w.pk), "word": "x"})


def test_the_url_list_covers_the_pages(paths):
    # The generator must keep finding the views it exists for.
    assert "/" in paths and "/watches/rows/" in paths and "/alerts/" in paths
    assert any(p.startswith("/executions/") and p.endswith("/live/") for p in paths)


def _client(owner):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    return client


def _assert_no_server_error(client, path, query, htmx):
    response = client.get(f"{path}?{query}", headers=HTMX if htmx else {})
    assert response.status_code < 500, f"GET {path}?{query} answered {response.status_code}"


_EVERY_KEY = ["q", "status", "sort", "page", "size", "known", "fresh", "awaiting", "show", "next",
              "monitor", "blueprint", "until", "updated_since"]
# str.isdigit() is true for these, int() of some of them fails, and a database id is none of them.
UNICODE_DIGITS = ["²", "٣", "１", "߁", "𝟗"]
# Python and RFC 3339 take UTC offsets up to 23:59; PostgreSQL stores at most 15:59.
FAR_OFFSETS = ["2026-06-08T09:00:00+16:00", "2026-06-08T09:00:00-23:59", "2026-06-08T09:00+18:00"]
NASTY = {
    "nul": "&".join(f"{k}=a%00b" for k in _EVERY_KEY) + "&%00=%00",
    "lone-surrogate": "&".join(f"{k}=%ED%A0%80" for k in _EVERY_KEY),
    "huge-numbers": "&".join(f"{k}=99999999999999999999" for k in _EVERY_KEY),
    "negative": "&".join(f"{k}=-1" for k in _EVERY_KEY),
    "long": "&".join(f"{k}={'x' * 5000}" for k in ["q", "status", "sort"]),
    "unicode-digits": "&".join(f"{k}={quote(d)}" for k in _EVERY_KEY for d in UNICODE_DIGITS[:1]),
    "unicode-digit-ids": "&".join(f"{k}={quote(UNICODE_DIGITS[1] + '1')}" for k in _EVERY_KEY),
    "far-offsets": "&".join(f"{k}={quote(FAR_OFFSETS[0])}" for k in _EVERY_KEY),
}


@pytest.mark.parametrize("query", NASTY.values(), ids=NASTY.keys())
def test_known_nasty_queries_on_every_url(owner, paths, query):
    client = _client(owner)
    for path in paths:
        for htmx in (False, True):
            _assert_no_server_error(client, path, query, htmx)


_KEYS = st.sampled_from(_EVERY_KEY)
_VALUES = (
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
    | st.text(max_size=40)
    | st.lists(st.sampled_from(UNICODE_DIGITS) | st.sampled_from("0123456789"), min_size=1, max_size=4).map("".join)
    | st.sampled_from(FAR_OFFSETS)
)


@hsettings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_queries_on_every_url(owner, paths, data):
    from urllib.parse import quote

    client = _client(owner)
    path = data.draw(st.sampled_from(paths))
    pairs = data.draw(st.lists(st.tuples(_KEYS | st.text(max_size=8), _VALUES), max_size=4))
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='', errors='surrogatepass')}" for k, v in pairs)
    _assert_no_server_error(client, path, query, data.draw(st.booleans()))


def test_a_stranger_uuid_is_still_a_404_not_a_500(owner):
    client = _client(owner)
    assert client.get(f"/executions/{uuid_lib.uuid4()}/live/?q=%00", headers=HTMX).status_code == 404
