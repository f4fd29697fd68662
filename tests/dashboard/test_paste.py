import uuid

from executions.paste import count_tokens, parse_paste, parse_uuid

A = "fd4b85d4-131e-435f-ac7c-3bea19a7bf4d"
B = "cd3a3a37-6969-485f-bc38-09073f4c255c"
C = "212afe4e-0aa7-401b-a674-2bb199976e25"


def test_newlines_commas_and_spaces_all_separate():
    result = parse_paste(f"{A}\n{B}, {C}")
    assert result.uuids == [uuid.UUID(A), uuid.UUID(B), uuid.UUID(C)]
    assert result.invalid == [] and result.duplicates == []


def test_semicolons_tabs_and_blank_lines_are_ignored_separators():
    result = parse_paste(f"\n\n{A};\t{B}\n\n")
    assert result.uuids == [uuid.UUID(A), uuid.UUID(B)]
    assert result.token_count == 2


def test_each_invalid_token_is_reported_with_its_line_and_text():
    result = parse_paste(f"{A}\nnot-a-uuid\n{B} 1234\n\n{C[:-1]}")
    assert result.uuids == [uuid.UUID(A), uuid.UUID(B)]
    assert [(bad.line, bad.text) for bad in result.invalid] == [
        (2, "not-a-uuid"),
        (3, "1234"),
        (5, C[:-1]),
    ]


def test_repeats_are_reported_with_the_line_they_repeat():
    result = parse_paste(f"{A}\n{B}\n{A.upper()}\n{A}")
    assert result.uuids == [uuid.UUID(A), uuid.UUID(B)]
    assert [(d.line, d.first_line, str(d.uuid)) for d in result.duplicates] == [(3, 1, A), (4, 1, A)]


def test_common_spellings_of_a_uuid_are_accepted():
    expected = uuid.UUID(A)
    for spelling in (A.upper(), "{" + A + "}", A.replace("-", ""), f'"{A}"', f"'{A}',"):
        assert parse_paste(spelling).uuids == [expected], spelling


def test_near_misses_are_not_uuids():
    for text in ("", "hello", A + "0", A[:-2], "urn:uuid:" + A, A.replace("a", "g"), "<script>"):
        assert parse_uuid(text) is None, text


def test_token_count_matches_the_parse_without_parsing():
    text = f"{A}, junk\n{B} {B}"
    assert count_tokens(text) == parse_paste(text).token_count == 4
    assert count_tokens("  \n , ") == 0
