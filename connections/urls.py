from django.urls import path

from . import views

app_name = "connections"

urlpatterns = [
    path("", views.connection_list, name="list"),
    path("add/", views.add, name="add"),
    path("add/account/", views.choose, name="choose"),
    path("oauth/start/", views.oauth_start, name="oauth_start"),
    path("oauth/callback/", views.oauth_callback, name="oauth_callback"),
    path("<int:pk>/test/", views.test, name="test"),
    path("<int:pk>/rename/", views.rename, name="rename"),
    path("<int:pk>/rotate/", views.rotate, name="rotate"),
    path("<int:pk>/links/", views.links, name="links"),
    path("<int:pk>/pause/", views.pause, name="pause"),
    path("<int:pk>/delete/", views.delete, name="delete"),
]
