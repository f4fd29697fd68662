"""executions/text.py: the rules for showing Plannr text."""

from executions.text import Cut, cut, strip_bidi


def test_strip_bidi_removes_every_control_and_nothing_else():
    text = "a\u202ab\u202bc\u202cd\u202de\u202ef\u2066g\u2067h\u2068i\u2069j\u200ek\u200fl\u061cm"
    assert strip_bidi(text) == "abcdefghijklm"
    assert strip_bidi("Kōji عربى ✓") == "Kōji عربى ✓"
    assert strip_bidi(None) == ""


def test_cut_keeps_short_texts_whole_and_cuts_long_ones_at_a_word_end():
    assert cut("short", 10) == Cut("short", False, 5)
    words = "mailbox unavailable " * 100
    result = cut(words, 100)
    assert result.was_cut and result.full_length == len(words)
    assert 90 <= len(result.text) <= 100 and words.startswith(result.text)
    assert result.text.endswith("unavailable")
    # One long word: cut exactly at the limit.
    assert cut("x" * 500, 100).text == "x" * 100
