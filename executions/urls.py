from django.urls import path

from . import views

app_name = "executions"

urlpatterns = [
    path("", views.watchlist, name="watchlist"),
]
