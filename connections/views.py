"""The Connections page (Admins): see, add, test, rename, rotate, pause and delete connections."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard.htmx import login_required

from .models import Connection


@require_GET
@login_required
def connection_list(request):
    connections = Connection.objects.all()
    return render(request, "connections/list.html", {"connections": connections, "nav": "connections"})
