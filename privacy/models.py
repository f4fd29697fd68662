"""Custom redaction rules: a regex and what to do with its matches."""

import re

from django.core.exceptions import ValidationError
from django.db import models


class Action(models.TextChoices):
    MASK = "mask", "Mask (replace with [name])"
    REMOVE = "remove", "Remove"
    HASH = "hash", "Hash (a keyed digest, the same for the same value)"


# A pattern that takes seconds on one message would stall every email and page.
PATTERN_MAX_LENGTH = 500


def validate_pattern(value):
    if len(value) > PATTERN_MAX_LENGTH:
        raise ValidationError(f"The pattern is longer than {PATTERN_MAX_LENGTH} characters.")
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise ValidationError(f"Not a valid regular expression: {exc}.") from None
    if compiled.match(""):
        raise ValidationError("The pattern matches the empty text: it would redact nothing but insert everywhere.")


class RedactionRule(models.Model):
    name = models.CharField(max_length=60, unique=True, help_text="Shown in the mask: [name].")
    pattern = models.CharField(max_length=PATTERN_MAX_LENGTH, validators=[validate_pattern],
                               help_text="A Python regular expression, matched case-sensitively.")
    action = models.CharField(max_length=6, choices=Action.choices, default=Action.MASK)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
