"""OAuth2 authorization code with refresh, against Plannr's /oauth/authorize and /oauth/token.

Enabled when PLANNR_OAUTH_CLIENT_ID and PLANNR_OAUTH_CLIENT_SECRET are set. Errors
carry Plannr's message, never a token or the client secret.
"""

import datetime as dt
from urllib.parse import urlencode

import requests
from django.conf import settings

# An access token this close to its end is refreshed before the next request.
REFRESH_MARGIN = dt.timedelta(seconds=60)


class OAuthError(Exception):
    pass


def enabled():
    return bool(settings.PLANNR_OAUTH_CLIENT_ID and settings.PLANNR_OAUTH_CLIENT_SECRET)


def authorize_url(base_url, redirect_uri, state):
    query = urlencode({"response_type": "code", "client_id": settings.PLANNR_OAUTH_CLIENT_ID,
                       "redirect_uri": redirect_uri, "state": state, "scope": ""})
    return f"{base_url.rstrip('/')}/oauth/authorize?{query}"


def _token_request(base_url, form, now):
    form = {**form, "client_id": settings.PLANNR_OAUTH_CLIENT_ID,
            "client_secret": settings.PLANNR_OAUTH_CLIENT_SECRET}
    try:
        response = requests.post(
            f"{base_url.rstrip('/')}/oauth/token", data=form, headers={"Accept": "application/json"},
            timeout=(settings.PLANNR_CONNECT_TIMEOUT, settings.PLANNR_READ_TIMEOUT),
        )
    except requests.RequestException as exc:
        raise OAuthError(f"Plannr's token endpoint could not be reached ({type(exc).__name__})") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
        said = ""
        if isinstance(body, dict):
            said = str(body.get("message") or body.get("error_description") or body.get("error") or "")[:300]
        raise OAuthError(f"Plannr refused the OAuth token request ({response.status_code}{': ' + said if said else ''})")
    seconds = body.get("expires_in")
    expires = now + dt.timedelta(seconds=int(seconds)) if isinstance(seconds, (int, float)) else None
    return body["access_token"], body.get("refresh_token") or "", expires


def exchange_code(base_url, code, redirect_uri, now):
    """(access token, refresh token, access token's end) for an authorization code."""
    return _token_request(base_url, {"grant_type": "authorization_code", "code": code,
                                     "redirect_uri": redirect_uri}, now)


def refresh(base_url, refresh_token, now):
    if not refresh_token:
        raise OAuthError("No OAuth refresh token is stored for this connection")
    return _token_request(base_url, {"grant_type": "refresh_token", "refresh_token": refresh_token}, now)
