"""The lenient reader of a step's `info` (plannr/info.py)."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plannr import InfoReport, parse_info
from plannr.info import MAX_MESSAGES, MESSAGE_LIMIT, looks_like_failure

DOCS_FORM = '"[{errors : "the account_uuid field is required" }]"'
LARAVEL = (
    '{"message": "The given data was invalid.", '
    '"errors": {"email": ["The email field must be a valid email address."], '
    '"name": ["The name field is required.", "The name must be a string."]}}'
)

CASES = [
    # (id, raw, errors, messages)
    ("docs quirky form", DOCS_FORM, ["the account_uuid field is required"], None),
    ("docs form without outer quotes", "[{errors : \"the account_uuid field is required\" }]",
     ["the account_uuid field is required"], None),
    ("docs form, single quotes", "'[{errors : 'the account_uuid field is required' }]'",
     ["the account_uuid field is required"], None),
    ("docs form, several entries", '[{errors : "a" }, {errors : "b"}]', ["a", "b"], None),
    ("docs form, singular key", '"[{error : "the token expired" }]"', ["the token expired"], None),
    ("docs form, list value", "[{errors : ['a', \"b\"] }]", ["a", "b"], None),
    ("docs form, escaped inner quotes", r'"[{errors : \"x is required\" }]"', ["x is required"], None),
    ("docs form, bare value", "[{errors : the account is archived }]", ["the account is archived"], None),
    ("docs form, message key only", '[{message : "SMS sent" }]', [], ["SMS sent"]),
    ("JSON errors list", '{"errors": ["a","b"]}', ["a", "b"], None),
    ("JSON list of error objects", '[{"errors": "x"}]', ["x"], None),
    ("JSON error string", '{"error": "Mailbox full"}', ["Mailbox full"], None),
    ("JSON error object", '{"error": {"message": "quota exceeded", "code": 42}}', ["quota exceeded"], None),
    ("JSON errors of objects", '{"errors": [{"field": "email", "message": "bad"}]}', ["bad"], None),
    ("Laravel validation", LARAVEL,
     ["The email field must be a valid email address.", "The name field is required.",
      "The name must be a string."],
     ["The email field must be a valid email address.", "The name field is required.",
      "The name must be a string.", "The given data was invalid."]),
    ("double-encoded JSON", json.dumps(json.dumps({"errors": ["a", "b"]})), ["a", "b"], None),
    ("triple-encoded docs form", json.dumps(json.dumps(DOCS_FORM)),
     ["the account_uuid field is required"], None),
    ("message with success false", '{"message": "Template missing", "success": false}',
     ["Template missing"], None),
    ("message with failed status", '{"status": "failed", "message": "Provider said no"}',
     ["Provider said no"], None),
    ("message with error code", '{"code": 422, "message": "Unprocessable"}', ["Unprocessable"], None),
    ("message with error flag", '{"error": true, "message": "Nope"}', ["Nope"], None),
    ("neutral message", '{"message": "SMS queued"}', [], ["SMS queued"]),
    ("failure-ish message", '{"message": "Failed to deliver"}', ["Failed to deliver"], None),
    ("empty errors", '{"errors": [], "message": "Done"}', [], ["Done"]),
    ("null errors", '{"errors": null}', [], []),
    ("nested result", '{"data": [{"error": "x"}], "id": 3}', ["x"], None),
    ("unknown object", '{"sms_id": 123, "sent": true}', [], []),
    ("JSON list of strings", '["Queued", "Sent"]', [], ["Queued", "Sent"]),
    ("plain text", "SMS queued", [], ["SMS queued"]),
    ("plain text, sent", "Email sent to client@example.com", [], None),
    ("plain SMTP failure", "Mailbox unavailable: 550 5.1.1 user unknown",
     ["Mailbox unavailable: 550 5.1.1 user unknown"], None),
    ("plain Error:", "Error: template not found", ["Error: template not found"], None),
    ("plain Failed to", "Failed to send letter", ["Failed to send letter"], None),
    ("plain exception", "Unhandled exception in worker", ["Unhandled exception in worker"], None),
    ("CamelCase exception", "NullPointerException at line 3", ["NullPointerException at line 3"], None),
    ("plain is required", "the account_uuid field is required", ["the account_uuid field is required"], None),
    ("no errors", "Completed with no errors", [], ["Completed with no errors"]),
    ("zero failures", "0 failures, 3 sent", [], None),
    ("terror is not error", "Terrors of the deep: newsletter sent", [], None),
    ("empty", "", [], []),
    ("whitespace", "  \n\t ", [], []),
    ("JSON null", "null", [], []),
    ("JSON true", "true", [], []),
    ("JSON number", "42", [], ["42"]),
    ("HTML kept as-is", "<script>alert('x')</script>", [], ["<script>alert('x')</script>"]),
    ("HTML error kept as-is", "<b>Error</b>: <i>bad</i>", ["<b>Error</b>: <i>bad</i>"], None),
    ("broken JSON", '{"errors": ["a"', ['{"errors": ["a"'], None),
    ("lone quote", '"', [], ['"']),
    ("empty quotes", '""', [], []),
    ("duplicates", '{"errors": ["a", "a", "b", "a"]}', ["a", "b"], ["a", "b"]),
    ("whitespace collapsed", '{"errors": ["  two\\n  lines  "]}', ["two lines"], None),
]


@pytest.mark.parametrize("raw, errors, messages", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_parse_info_table(raw, errors, messages):
    report = parse_info(raw)
    assert report.raw == raw
    assert list(report.errors) == errors
    assert report.has_errors == bool(errors)
    if messages is None:
        # Errors come first, then the other messages.
        assert list(report.messages[: len(errors)]) == errors
        assert report.messages
    else:
        assert list(report.messages) == messages


def test_seed_form_exactly_as_decoded_from_the_docs_json():
    # The seed's JSON holds "\"[{errors : \"...\" }]\"": decoding it gives DOCS_FORM.
    decoded = json.loads('"\\"[{errors : \\"the account_uuid field is required\\" }]\\""')
    assert decoded == DOCS_FORM
    report = parse_info(decoded)
    assert report.errors == ("the account_uuid field is required",)
    assert report.messages == ("the account_uuid field is required",)


@pytest.mark.parametrize(
    "raw, expected_raw",
    [
        (None, ""),
        (42, "42"),
        (3.5, "3.5"),
        (True, "true"),
        ({"errors": ["x"]}, '{"errors": ["x"]}'),
        ([{"error": "é"}], '[{"error": "é"}]'),
        (b"Error: bytes", "Error: bytes"),
    ],
)
def test_non_strings_are_dumped_into_raw(raw, expected_raw):
    report = parse_info(raw)
    assert report.raw == expected_raw


def test_structured_input_is_read_as_structure():
    report = parse_info({"errors": {"email": ["bad email"]}, "message": "invalid"})
    assert report.errors == ("bad email",)
    assert report.messages == ("bad email", "invalid")
    assert parse_info(None) == InfoReport(raw="", messages=(), errors=())


def test_messages_are_capped_in_length_and_number():
    huge = "Error " + "x" * 50_000
    report = parse_info(huge)
    assert report.raw == huge
    assert len(report.errors) == 1
    assert len(report.errors[0]) == MESSAGE_LIMIT
    assert report.errors[0].endswith("…")

    many = json.dumps({"errors": [f"problem {i}" for i in range(500)], "message": "m"})
    report = parse_info(many)
    assert len(report.errors) == MAX_MESSAGES
    assert len(report.messages) == MAX_MESSAGES
    assert report.errors[0] == "problem 0"


def test_huge_and_deep_inputs_do_not_raise():
    deep = "[" * 100_000 + "]" * 100_000
    assert isinstance(parse_info(deep), InfoReport)
    deep_json = '{"errors": ' * 5000 + '"x"' + "}" * 5000
    assert isinstance(parse_info(deep_json), InfoReport)
    huge_json = json.dumps({"errors": ["y" * 3_000_000]})
    report = parse_info(huge_json)
    assert report.raw == huge_json
    assert len(report.messages[0]) <= MESSAGE_LIMIT


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "raw",
    [
        '[{errors:[' + '"a"   ' * 5000 + " }",  # unclosed list: once exponential backtracking
        "[{errors : " * 20000,
        '{"errors": "' * 20000,
        '[{errors:"' + "x" * 300_000,
        '"' * 300_000,
        "[" + '{errors:"a" ' * 30000,
        "Error " * 100_000,
    ],
    ids=["unclosed-list", "keys", "json-keys", "unclosed-quote", "quotes", "many-pairs", "words"],
)
def test_pathological_inputs_are_fast(raw):
    report = parse_info(raw)
    assert report.raw == raw
    assert len(report.messages) <= MAX_MESSAGES


def test_report_is_frozen():
    report = parse_info("x")
    with pytest.raises(AttributeError):
        report.raw = "y"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Error: x", True),
        ("an error occurred", True),
        ("Request timed out", True),
        ("Recipient address rejected", True),
        ("Could not render template", True),
        ("Unable to find client", True),
        ("451 4.7.1 try again later", True),
        ("TypeError: NoneType", True),
        ("no errors, no failures", False),
        ("Delivered", False),
        ("SMS queued", False),
        ("Sent 550 messages", False),
        ("Mirror", False),
        ("Upstream returned <html><body><h1>502 Bad Gateway</h1></body></html>", True),
        ("No adviser assigned to client", True),
        ('Adviser notification channel "teams" is not configured', True),
        ("SQLSTATE[40001]: Serialization failure: 1213 Deadlock found", True),
        ("cURL error 28: Operation timed out after 30001 milliseconds", True),
        ("Twilio error 21610: Attempt to send to unsubscribed recipient", True),
        ("Job aborted by administrator", True),
        ("403 Forbidden", True),
        ("Execution paused: client account is inactive", False),
        ("Document generated: welcome-pack.pdf", False),
        ("Email queued for delivery", False),
        ("Client record updated", False),
        ("Adviser notified", False),
        ("Task created", False),
        ("Found 3 matching clients", False),
        ("without error", False),
    ],
)
def test_failure_heuristic(text, expected):
    assert looks_like_failure(text) is expected


# -- fuzzing ------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(
        st.sampled_from(["errors", "error", "message", "messages", "status", "success", "code", "x"])
        | st.text(max_size=5),
        children,
        max_size=5,
    ),
    max_leaves=20,
)
quirky_text = st.builds(
    lambda pieces: "".join(pieces),
    st.lists(
        st.sampled_from(
            ['"', "'", "[", "]", "{", "}", ":", ",", "\\", "errors", "error", "message", " ", "x", "\n"]
        )
        | st.text(max_size=4),
        max_size=30,
    ),
)


def _check(report, raw):
    assert isinstance(report, InfoReport)
    assert all(isinstance(m, str) and m and len(m) <= MESSAGE_LIMIT for m in report.messages)
    assert len(report.messages) <= MAX_MESSAGES
    assert len(set(report.messages)) == len(report.messages)
    assert set(report.errors) <= set(report.messages)
    assert list(report.messages[: len(report.errors)]) == list(report.errors)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fuzz_any_text(raw):
    report = parse_info(raw)
    assert report.raw == raw
    _check(report, raw)


@settings(max_examples=300, deadline=None)
@given(quirky_text)
def test_fuzz_quirky_text(raw):
    report = parse_info(raw)
    assert report.raw == raw
    _check(report, raw)


@settings(max_examples=300, deadline=None)
@given(json_values, st.integers(min_value=0, max_value=3))
def test_fuzz_encoded_json(value, encodings):
    raw = value
    for _ in range(encodings):
        raw = json.dumps(raw)
    report = parse_info(raw)
    if isinstance(raw, str):
        assert report.raw == raw
    elif value is None:
        assert report.raw == ""
    else:
        assert report.raw == json.dumps(value, ensure_ascii=False)
    _check(report, raw)
