"""The Connections page (Admins, accounts/rules.py): add (token or "Connect with Plannr"),
test, choose the account, rename, rotate the token, pause and delete.

A token typed into the add form is tested before anything is stored. When its logins
leave the account open, the token waits in the session, encrypted (dashboard/crypto.py),
while the person chooses from the list; it is never put back into a page.
"""

import secrets

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard import crypto
from dashboard.htmx import login_required

from . import oauth, services
from .forms import AddForm, LinksForm, RenameForm, RotateForm
from .models import Connection

PENDING = "connections:pending"
OAUTH_STATE = "connections:oauth-state"


def _connection(pk):
    connection = Connection.objects.filter(pk=pk).first()
    if connection is None:
        raise Http404("No such connection.")
    return connection


@require_GET
@login_required
def connection_list(request):
    connections = Connection.objects.annotate(
        polled=Count("executions", filter=Q(executions__next_poll_at__isnull=False))
    )
    return render(request, "connections/list.html", {
        "connections": connections, "form": AddForm(), "oauth": oauth.enabled(), "nav": "connections",
    })


def _connect(request, pending, account=None):
    try:
        connection, created = services.connect(
            pending["name"], crypto.decrypt(pending["token"]), base_url=pending["base_url"], account=account,
            expires=services.expiry_day(pending["expires"]) if pending.get("expires") else None,
            refresh_token=crypto.decrypt(pending["refresh"]) if pending.get("refresh") else None,
            access_expires_at=(timezone.datetime.fromisoformat(pending["access_expires_at"])
                               if pending.get("access_expires_at") else None),
            actor=request.user,
        )
    except services.ConnectError as exc:
        return None, str(exc)
    request.session.pop(PENDING, None)
    verb = "added" if created else "updated"
    messages.success(request, f"Connection {connection.name} {verb}: account {connection.account_label}.")
    return connection, ""


def _choose_or_fail(request, pending, error):
    """Ambiguous account: keep the (encrypted) pending token and show the list; otherwise the error."""
    try:
        accounts = services.accounts_for(pending["base_url"], crypto.decrypt(pending["token"]))
    except services.ConnectError:
        accounts = []
    if "choose one" in error and accounts:
        request.session[PENDING] = pending
        return redirect("connections:choose")
    request.session.pop(PENDING, None)
    messages.error(request, error)
    return None


@never_cache
@require_POST
@login_required
def add(request):
    form = AddForm(request.POST)
    if not form.is_valid():
        connections = Connection.objects.annotate(polled=Count("executions"))
        return render(request, "connections/list.html", {
            "connections": connections, "form": form, "oauth": oauth.enabled(), "nav": "connections",
        }, status=400)
    data = form.cleaned_data
    pending = {"name": data["name"], "base_url": data["base_url"], "token": crypto.encrypt(data["token"]),
               "expires": data["expires_at"].isoformat() if data["expires_at"] else ""}
    connection, error = _connect(request, pending)
    if connection is None:
        return _choose_or_fail(request, pending, error) or redirect("connections:list")
    return redirect("connections:list")


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def choose(request):
    pending = request.session.get(PENDING)
    if not pending:
        messages.error(request, "Nothing is waiting for an account: add the connection again.")
        return redirect("connections:list")
    if request.method == "POST":
        connection, error = _connect(request, pending, account=request.POST.get("account", ""))
        if connection is not None:
            return redirect("connections:list")
        messages.error(request, error)
    try:
        accounts = services.accounts_for(pending["base_url"], crypto.decrypt(pending["token"]))
    except services.ConnectError as exc:
        request.session.pop(PENDING, None)
        messages.error(request, str(exc))
        return redirect("connections:list")
    return render(request, "connections/choose.html",
                  {"name": pending["name"], "accounts": accounts, "nav": "connections"})


@require_POST
@login_required
def test(request, pk):
    connection = _connection(pk)
    ok, message = services.test(connection)
    (messages.success if ok else messages.error)(
        request, f"Test of {connection.name}: " + ("it works." if ok else f"it does not work: {message}")
    )
    return redirect("connections:list")


@require_POST
@login_required
def rename(request, pk):
    connection = _connection(pk)
    form = RenameForm(request.POST)
    try:
        if not form.is_valid():
            raise services.ConnectError("A connection needs a name of at most 100 characters.")
        services.rename(connection, form.cleaned_data["name"], actor=request.user)
    except services.ConnectError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Connection {connection.name} is now {form.cleaned_data['name']}.")
    return redirect("connections:list")


@never_cache
@require_POST
@login_required
def rotate(request, pk):
    """A new token for the same connection, account and executions (tested first)."""
    connection = _connection(pk)
    form = RotateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the new token (and a valid date, if any).")
        return redirect("connections:list")
    expires = form.cleaned_data["expires_at"]
    pending = {"name": connection.name, "base_url": connection.base_url,
               "token": crypto.encrypt(form.cleaned_data["token"]), "expires": expires.isoformat() if expires else ""}
    result, error = _connect(request, pending, account=str(connection.account_uuid or "") or None)
    if result is None:
        messages.error(request, error)
    return redirect("connections:list")


@require_POST
@login_required
def links(request, pk):
    connection = _connection(pk)
    form = LinksForm(request.POST)
    if form.is_valid():
        Connection.objects.filter(pk=connection.pk).update(**form.cleaned_data)
        messages.success(request, f"Links out to Plannr saved for {connection.name}.")
    return redirect("connections:list")


@require_POST
@login_required
def pause(request, pk):
    connection = _connection(pk)
    paused = request.POST.get("paused") == "1"
    services.set_paused(connection, paused, actor=request.user)
    messages.success(request, f"Connection {connection.name} {'paused' if paused else 'resumed'}.")
    return redirect("connections:list")


@require_http_methods(["GET", "POST"])
@login_required
def delete(request, pk):
    """Asks what happens to the connection's executions, saying how many there are."""
    connection = _connection(pk)
    others = Connection.objects.exclude(pk=connection.pk)
    count = connection.executions.count()
    if request.method == "POST":
        target = request.POST.get("executions", "")
        move_to = None
        if target != "delete":
            move_to = others.filter(pk=target if target.isdigit() else 0).first()
            if move_to is None:
                messages.error(request, "Choose what happens to the executions.")
                return redirect("connections:delete", pk=connection.pk)
        services.delete(connection, move_to=move_to, actor=request.user)
        where = f"moved to {move_to.name}" if move_to else "deleted"
        messages.success(request, f"Connection {connection.name} deleted; its {count} execution(s) {where}.")
        return redirect("connections:list")
    return render(request, "connections/delete.html",
                  {"connection": connection, "count": count, "others": others, "nav": "connections"})


@require_POST
@login_required
def oauth_start(request):
    """"Connect with Plannr": to Plannr's /oauth/authorize, back to oauth_callback."""
    if not oauth.enabled():
        raise Http404("OAuth is not configured.")
    name = (request.POST.get("name") or "").strip()[:100]
    base_url = (request.POST.get("base_url") or "").strip() or AddForm().fields["base_url"].initial
    if not name:
        messages.error(request, "Give the connection a name first.")
        return redirect("connections:list")
    state = secrets.token_urlsafe(24)
    request.session[OAUTH_STATE] = {"state": state, "name": name, "base_url": base_url}
    return redirect(oauth.authorize_url(base_url, request.build_absolute_uri(reverse("connections:oauth_callback")),
                                        state))


@never_cache
@require_GET
@login_required
def oauth_callback(request):
    started = request.session.pop(OAUTH_STATE, None)
    if not started or not secrets.compare_digest(started["state"], request.GET.get("state", "")):
        messages.error(request, "The answer from Plannr does not match a connection being added; start again.")
        return redirect("connections:list")
    if "code" not in request.GET:
        messages.error(request, f"Plannr did not grant access ({request.GET.get('error', 'no code')[:100]}).")
        return redirect("connections:list")
    now = timezone.now()
    try:
        access, refresh, expires = oauth.exchange_code(
            started["base_url"], request.GET["code"],
            request.build_absolute_uri(reverse("connections:oauth_callback")), now)
    except oauth.OAuthError as exc:
        messages.error(request, str(exc))
        return redirect("connections:list")
    pending = {"name": started["name"], "base_url": started["base_url"], "token": crypto.encrypt(access),
               "refresh": crypto.encrypt(refresh) if refresh else "",
               "access_expires_at": expires.isoformat() if expires else ""}
    connection, error = _connect(request, pending)
    if connection is None:
        return _choose_or_fail(request, pending, error) or redirect("connections:list")
    return redirect("connections:list")
