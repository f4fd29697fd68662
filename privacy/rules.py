"""Custom rules, compiled once per process and recompiled when any rule changes.

Every process keeps the compiled rules with the generation they were read at; the
generation lives in the shared cache (Redis), and saving or deleting a rule bumps
it, so every worker and web process recompiles at its next redaction.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

GENERATION_KEY = "privacy:rules:generation"


@dataclass(frozen=True)
class Compiled:
    name: str
    pattern: re.Pattern
    action: str

    def replacement(self, value):
        if self.action == "remove":
            return ""
        if self.action == "hash":
            digest = hmac.new(settings.SECRET_KEY.encode(), value.encode("utf-8", "surrogatepass"),
                              hashlib.sha256).hexdigest()[:12]
            return f"[{self.name}:{digest}]"
        return f"[{self.name}]"

    def apply(self, text):
        return self.pattern.sub(lambda m: self.replacement(m.group(0)), text)


_compiled = {"generation": None, "rules": ()}


def _generation():
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = 1
        cache.add(GENERATION_KEY, generation, timeout=None)
    return generation


def compiled_rules():
    """The enabled custom rules, compiled; read from the database only after a change."""
    from .models import RedactionRule

    generation = _generation()
    if _compiled["generation"] != generation:
        rules = tuple(
            Compiled(r.name, re.compile(r.pattern), r.action)
            for r in RedactionRule.objects.filter(enabled=True).order_by("name")
        )
        _compiled.update(generation=generation, rules=rules)
    return _compiled["rules"]


def invalidate(**kwargs):
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no generation stored yet
        cache.set(GENERATION_KEY, 2, timeout=None)
    _compiled["generation"] = None


def connect_invalidation():
    from .models import RedactionRule

    post_save.connect(invalidate, sender=RedactionRule, dispatch_uid="privacy-rules-saved")
    post_delete.connect(invalidate, sender=RedactionRule, dispatch_uid="privacy-rules-deleted")
