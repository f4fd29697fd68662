"""The site's URL conf plus one view that has no rule in accounts/rules.py.

The site's own URLs stay so that the 403 page (which extends base.html) can render its nav.
"""

from django.http import HttpResponse
from django.urls import path

from dashboard.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("unruled/", lambda request: HttpResponse("should not be reached"), name="unruled"),
    *site_urlpatterns,
]
