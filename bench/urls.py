"""The product's URLs plus the trivial view the page latencies are compared with.

The trivial view goes through the same middleware and login check as the pages
(session, user, CSRF, CSP, htmx) and renders nothing: what any page costs at least.
"""

from django.http import HttpResponse
from django.urls import include, path

from ui.htmx import login_required


@login_required
def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial, name="bench_trivial"),
    path("", include("dashboard.urls")),
]
