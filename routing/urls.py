from django.urls import path

from . import views

app_name = "routing"

urlpatterns = [
    path("a/<str:token>/", views.action, name="action"),
    path("routes/", views.routes, name="routes"),
    path("routes/add/", views.add_route, name="add_route"),
    path("routes/<int:pk>/delete/", views.delete_route, name="delete_route"),
    path("routes/<int:pk>/move/", views.move_route, name="move_route"),
    path("routes/severity/", views.mark_severity, name="mark_severity"),
]
