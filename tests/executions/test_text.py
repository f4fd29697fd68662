"""executions/text.py: the rules for showing Plannr text."""

from executions.text import strip_bidi


def test_strip_bidi_removes_every_control_and_nothing_else():
    text = "a\u202ab\u202bc\u202cd\u202de\u202ef\u2066g\u2067h\u2068i\u2069j\u200ek\u200fl\u061cm"
    assert strip_bidi(text) == "abcdefghijklm"
    assert strip_bidi("Kōji عربى ✓") == "Kōji عربى ✓"
    assert strip_bidi(None) == ""
