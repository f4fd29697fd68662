from django.urls import path

from . import views

app_name = "monitors"

urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("overview/live/", views.overview_live, name="overview_live"),
    path("monitors/", views.monitor_list, name="list"),
    path("monitors/live/", views.monitor_list_live, name="list_live"),
    path("monitors/new/", views.monitor_new, name="new"),
    path("monitors/<int:pk>/", views.monitor_detail, name="detail"),
    path("monitors/<int:pk>/rows/", views.monitor_rows, name="rows"),
    path("monitors/<int:pk>/edit/", views.monitor_edit, name="edit"),
    path("monitors/<int:pk>/pause/", views.monitor_pause, name="pause"),
    path("monitors/<int:pk>/resume/", views.monitor_resume, name="resume"),
    path("monitors/<int:pk>/delete/", views.monitor_delete, name="delete"),
    path("monitors/<int:pk>/subscription/", views.monitor_subscription, name="subscription"),
]
