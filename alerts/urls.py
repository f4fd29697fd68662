from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("", views.events, name="events"),
    path("settings/", views.settings_view, name="settings"),
    path("watches/<int:watch_id>/mute/", views.mute, name="mute"),
    path("deliveries/<int:delivery_id>/retry/", views.retry, name="retry"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
