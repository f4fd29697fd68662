from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    # Every claim below goes out, whatever the scopes (the "roles" claim has no scope).
    oidc_claim_scope = None

    def get_additional_claims(self, request):
        user = request.user
        return {
            "preferred_username": user.username,
            "email": user.email,
            "roles": [g.name for g in user.groups.all()],
        }
