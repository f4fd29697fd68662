"""The user's own account page: time zone, two-factor sign-in, sessions, sign out everywhere."""

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from audit import record
from dashboard.htmx import login_required

from . import roles, signals
from .forms import ProfileForm
from .middleware import remember_time_zone
from .profiles import profile_for


@require_http_methods(["GET", "POST"])
@login_required
def profile(request):
    instance = profile_for(request.user)
    before = instance.time_zone
    form = ProfileForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            if before != instance.time_zone:
                record("profile.update", target=f"user:{request.user.get_username()}",
                       before={"time_zone": before}, after={"time_zone": instance.time_zone})
        remember_time_zone(request, instance.time_zone)
        messages.success(request, f"Times are now shown in {instance.time_zone}.")
        return redirect("accounts:profile")
    context = {
        "form": form,
        "role": roles.role_of(request.user),
        "authenticators": Authenticator.objects.filter(user=request.user).exclude(
            type=Authenticator.Type.RECOVERY_CODES
        ),
        "api_token_count": signals.total(signals.count_api_access, request.user),
    }
    return render(request, "accounts/profile.html", context, status=400 if form.is_bound else 200)


@require_POST
@login_required
def sign_out_everywhere(request):
    user = request.user
    revoke_tokens = request.POST.get("revoke_api_tokens") == "on"
    with transaction.atomic():
        ended = 0
        for session in UserSession.objects.filter(user=user):
            session.end()
            ended += 1
        revoked = signals.total(signals.revoke_api_access, user) if revoke_tokens else 0
        record("auth.sign_out_everywhere", target=f"user:{user.get_username()}",
               after={"sessions_ended": ended, "api_access_revoked": revoked})
    # This browser too; one audit row for the whole action, so not logout()'s signal.
    request.session.flush()
    request.user = AnonymousUser()
    messages.success(request, "You are logged out on every device and browser."
                     + (f" {revoked} API token(s) revoked." if revoke_tokens else ""))
    return redirect("login")
