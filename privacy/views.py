"""The custom redaction rules page (Admins: accounts/rules.py)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

import audit

from .detectors import KINDS
from .forms import RuleForm
from .models import RedactionRule


def _render(request, form, status=200):
    context = {"rules": RedactionRule.objects.all(), "form": form, "builtins": KINDS}
    return render(request, "privacy/rules.html", context, status=status)


@require_http_methods(["GET", "POST"])
def rules(request):
    if request.method == "GET":
        return _render(request, RuleForm())
    form = RuleForm(request.POST)
    if not form.is_valid():
        return _render(request, form, status=400)
    rule = form.save()
    audit.record("redaction_rule.add", target=f"redaction_rule:{rule.name}",
                 after={"pattern": rule.pattern, "action": rule.action})
    messages.success(request, f"Rule “{rule.name}” added: it applies from the next message.")
    return redirect("privacy:rules")


@require_POST
def rule_delete(request, pk):
    rule = get_object_or_404(RedactionRule, pk=pk)
    audit.record("redaction_rule.delete", target=f"redaction_rule:{rule.name}",
                 before={"pattern": rule.pattern, "action": rule.action})
    rule.delete()
    messages.success(request, f"Rule “{rule.name}” removed.")
    return redirect("privacy:rules")
