"""Who may see personal data unredacted."""

PERMISSION = "accounts.view_personal_data"


def may_see(user):
    """Pages: a signed-in user whose role has view_personal_data (Operators, Admins)."""
    return bool(user and user.is_authenticated and user.has_perm(PERMISSION))


def api_may_see(request):
    """The API: a token with the personal-data scope whose owner may see it, or a session
    user who may (the pages' rule). `request.auth` is what api/auth.py authenticated."""
    auth = getattr(request, "auth", None)
    if hasattr(auth, "personal_data"):  # an api.models.ApiToken (privacy sits below api)
        return auth.personal_data and may_see(auth.user)
    return may_see(getattr(request, "user", None))
