"""allauth adapters: no self sign-up, optional password sign-in, SSO users and their roles."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.db import transaction

from . import roles


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": (
            "Please enter a correct username and password. Note that both fields may be case-sensitive."
        ),
    }

    def is_open_for_signup(self, request):
        return False  # accounts are created by an administrator (or by SSO)

    def pre_authenticate(self, request, **credentials):
        if not settings.PASSWORD_LOGIN_ENABLED:
            raise self.validation_error("password_login_disabled")
        super().pre_authenticate(request, **credentials)

    def validation_error(self, code, *args):
        from django.core.exceptions import ValidationError

        if code == "password_login_disabled":
            return ValidationError(
                f"Password sign-in is turned off: sign in with {settings.OIDC_PROVIDER_NAME}.", code=code
            )
        if code == "too_many_login_attempts":
            # The same words whether or not the account exists.
            return ValidationError(
                f"Too many failed sign-in attempts. Wait {settings.LOGIN_FAILURE_WINDOW_MINUTES} minutes "
                "before trying again, or reset your password.",
                code=code,
            )
        return super().validation_error(code, *args)

    def format_email_subject(self, subject):
        return f"[Plannr monitor] {subject}"


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        # Whoever the identity provider lets in (e.g. users assigned to the Entra ID
        # application) gets an account, as a Viewer unless OIDC_ROLE_MAP says otherwise.
        return True

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        claims = _claims(sociallogin)
        name = claims.get("preferred_username") or claims.get("email") or data.get("email") or ""
        if name and not user.username:
            user.username = name[:150]
        return user

    def pre_social_login(self, request, sociallogin):
        super().pre_social_login(request, sociallogin)
        if sociallogin.is_existing:
            apply_role_claims(sociallogin.user, _claims(sociallogin))

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        apply_role_claims(user, _claims(sociallogin))
        return user


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets are encrypted at rest (allauth stores them as given otherwise)."""

    def get_totp_label(self, user):
        return user.get_username()

    def _fernet(self):
        import base64
        import hashlib

        from cryptography.fernet import Fernet

        key = hashlib.sha256(f"accounts.mfa:{settings.SECRET_KEY}".encode()).digest()
        return Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, text):
        return self._fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text):
        return self._fernet().decrypt(encrypted_text.encode()).decode()


def _claims(sociallogin):
    data = sociallogin.account.extra_data or {}
    merged = {}
    for part in ("userinfo", "id_token"):
        if isinstance(data.get(part), dict):
            merged.update(data[part])
    return merged or data


def role_from_claims(claims):
    """The highest role OIDC_ROLE_MAP gives the values of OIDC_ROLE_CLAIM, or None."""
    if not (settings.OIDC_ROLE_CLAIM and settings.OIDC_ROLE_MAP):
        return None
    values = claims.get(settings.OIDC_ROLE_CLAIM)
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    mapped = {settings.OIDC_ROLE_MAP[v] for v in values if isinstance(v, str) and v in settings.OIDC_ROLE_MAP}
    for role in reversed(roles.ROLES):
        if role in mapped:
            return role
    return None


def apply_role_claims(user, claims):
    """With a role mapping, the identity provider decides the role at every sign-in."""
    if not (settings.OIDC_ROLE_CLAIM and settings.OIDC_ROLE_MAP) or user.pk is None:
        return
    with transaction.atomic():
        roles.assign_role(user, role_from_claims(claims) or roles.VIEWER, actor=None)
