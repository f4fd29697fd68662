"""A URL conf with one view that has no rule in accounts/rules.py."""

from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("unruled/", lambda request: HttpResponse("should not be reached"), name="unruled")]
