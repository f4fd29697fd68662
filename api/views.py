"""The "API tokens" page: create a token (shown once) and revoke tokens."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from dashboard.htmx import login_required

from . import tokens
from .forms import TokenForm
from .models import ApiToken


def _render(request, form, new_token=None, status=200):
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user),
        "new_token": new_token,
        "now": timezone.now(),
        "rate_limit": settings.API_RATE_LIMIT_PER_MINUTE,
        "nav": "api_tokens",
    }
    return render(request, "api/tokens.html", context, status=status)


@never_cache  # the answer to a create holds the token itself
@require_http_methods(["GET", "POST"])
@login_required
def token_list(request):
    if request.method == "GET":
        return _render(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _render(request, form, status=400)
    token, raw = tokens.create_token(
        request.user, form.cleaned_data["name"], form.cleaned_data["scope"], form.expires_at(),
        personal_data=form.cleaned_data["personal_data"],
    )
    # Rendered, not redirected: the token must not pass through the session or a message.
    return _render(request, TokenForm(), new_token={"token": token, "raw": raw}, status=201)


@require_POST
@login_required
def token_revoke(request, token_id):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    tokens.revoke(token)
    messages.success(request, f"Revoked the token “{token.name}”: it no longer works.")
    return redirect("api:tokens")
