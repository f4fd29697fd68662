"""Signal receivers: default role and profile for new users, and audit rows for sign-in events."""

from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from audit import record

from . import roles
from .middleware import remember_time_zone, touch_session
from .profiles import profile_for


@receiver(post_save, sender=get_user_model(), dispatch_uid="accounts-new-user")
def new_user(sender, instance, created, raw=False, **kwargs):
    # Every new user (createsuperuser, the admin site, demo_setup, SSO) starts with a role:
    # Admin for a superuser, otherwise Viewer.
    if created and not raw:
        from django.contrib.auth.models import Group

        group, _ = Group.objects.get_or_create(name=roles.default_role(instance))
        instance.groups.add(group)
        profile_for(instance)


@receiver(user_logged_in, dispatch_uid="accounts-logged-in")
def logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        remember_time_zone(request, profile_for(user).time_zone)
        touch_session(request)
    via = "sso" if _via_sso(request) else "password"
    record("auth.sign_in", actor=user, target=f"user:{user.get_username()}", after={"method": via})


def _via_sso(request):
    match = getattr(request, "resolver_match", None)
    return bool(match and (match.url_name or "").startswith(("openid_connect_", "socialaccount_")))


@receiver(user_logged_out, dispatch_uid="accounts-logged-out")
def logged_out(sender, request, user, **kwargs):
    if user is not None:
        record("auth.sign_out", actor=user, target=f"user:{user.get_username()}")


@receiver(user_login_failed, dispatch_uid="accounts-login-failed")
def login_failed(sender, credentials, request=None, **kwargs):
    # Django passes the credentials with the password already masked; only the name is kept.
    name = str(credentials.get("username") or credentials.get("login") or credentials.get("email") or "")
    record("auth.sign_in_failed", actor_name=name, target=f"user:{name}")


@receiver(mfa_signals.authentication_failed, dispatch_uid="accounts-mfa-failed")
def second_factor_failed(sender, request, user, **kwargs):
    record("auth.sign_in_failed", actor=user, target=f"user:{user.get_username()}", after={"step": "2fa"})


# Model signals, not allauth's (sent after commit): the row is written in the same
# transaction as the authenticator. Recovery codes come with a TOTP enrolment and go
# with the last authenticator, so only the factor itself is recorded.
@receiver(post_save, sender=Authenticator, dispatch_uid="accounts-mfa-added")
def authenticator_added(sender, instance, created, raw=False, **kwargs):
    if created and not raw and instance.type != Authenticator.Type.RECOVERY_CODES:
        user = instance.user
        record("mfa.enrol", actor=user, target=f"user:{user.get_username()}", after={"type": instance.type})


@receiver(post_delete, sender=Authenticator, dispatch_uid="accounts-mfa-removed")
def authenticator_removed(sender, instance, **kwargs):
    if instance.type != Authenticator.Type.RECOVERY_CODES:
        user = instance.user
        record("mfa.remove", target=f"user:{user.get_username()}", before={"type": instance.type})
