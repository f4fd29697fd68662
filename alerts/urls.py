from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("", views.events, name="events"),
    path("settings/", views.settings_view, name="settings"),
]
