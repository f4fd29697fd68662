from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("", views.events, name="events"),
    path("settings/", views.settings_view, name="settings"),
    path("watches/<int:watch_id>/mute/", views.mute, name="mute"),
    path("deliveries/<int:delivery_id>/retry/", views.retry, name="retry"),
    # "Opt out" of all alert emails; the path keeps the word of the List-Unsubscribe header
    # (RFC 8058), so every link already sent still works. "Unsubscribe" means leaving a monitor.
    path("unsubscribe/<str:token>/", views.opt_out, name="opt_out"),
]
