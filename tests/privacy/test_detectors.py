"""Built-in detectors on UK formats (privacy/detectors.py): each kind found, the rest left alone."""

import pytest
from hypothesis import given, settings as hsettings

from privacy.detectors import fingerprint_mask, luhn_ok, mask

from . import strategies

CASES = [
    ("Email jane.doe+crm@example.co.uk bounced", "Email [email] bounced"),
    ("Mobile 07700 900123 invalid", "Mobile [phone] invalid"),
    ("Call +44 7700 900123 now", "Call [phone] now"),
    ("Office (020) 7946 0958.", "Office [phone]."),
    ("Landline 0161 496 0000 busy", "Landline [phone] busy"),
    ("tel +44 (0)121 496 0000", "tel [phone]"),
    ("NI number QQ 12 34 56 C missing", "NI number [ni-number] missing"),
    ("NINO AB123456C on file", "NINO [ni-number] on file"),
    ("Postcode SW1A 1AA not found", "Postcode [postcode] not found"),
    ("Address: 10 High St, Leeds LS6 2AB", "Address: 10 High St, Leeds [postcode]"),
    ("Bank 12-34-56 12345678 rejected", "Bank [bank-account] rejected"),
    ("sort code 12 34 56, account 87654321", "sort code [bank-account]"),
    ("Card 4111 1111 1111 1111 declined", "Card [card] declined"),
    ("Card 5555555555554444 declined", "Card [card] declined"),
    ("Date of birth: 14/03/1980 mismatch", "Date of birth: [dob] mismatch"),
    ('{"date_of_birth": "1980-03-14"}', '{"date_of_birth": "[dob]"}'),
    ("DOB 3 March 1975", "DOB [dob]"),
]
UNTOUCHED = [
    "Step 3 of 12 failed at 2026-03-14T09:30:00Z",
    "execution 0f8fa1b2-0123-4567-89ab-0123456789ab failed",
    "Card 4111 1111 1111 1112 declined",  # fails the Luhn check: not a card number
    "Next review 14/03/2026",  # a date, but not labelled as a birth date
    "Send SMS: the account_uuid field is required",
    "HTTP 500 after 1500 ms, retry 3",
]


@pytest.mark.parametrize("text, expected", CASES)
def test_each_uk_format_is_masked(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize("text", UNTOUCHED)
def test_ordinary_text_ids_and_non_luhn_numbers_are_left_alone(text):
    assert mask(text) == text


def test_luhn():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112") and not luhn_ok("411111")


@hsettings(max_examples=100, deadline=None)
@given(strategies.personal_texts())
def test_generated_texts_keep_no_raw_value(case):
    text, values = case
    redacted = mask(text)
    for value in values:
        assert value not in redacted, (value, redacted)


@hsettings(max_examples=100, deadline=None)
@given(strategies.personal_texts())
def test_masking_is_idempotent_and_fingerprints_see_through_placeholders(case):
    text, _ = case
    once = mask(text)
    assert mask(once) == once
    assert fingerprint_mask(once) == fingerprint_mask(text)
