from django.urls import path

from . import views

app_name = "channels"

urlpatterns = [
    path("", views.channel_list, name="list"),
    path("add/", views.add, name="add"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/created/", views.created, name="created"),
    path("<int:pk>/log/", views.log, name="log"),
    path("<int:pk>/test/", views.send_test, name="test"),
    path("<int:pk>/test/<int:test_id>/", views.test_status, name="test_status"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/monitors/", views.attach_monitors, name="monitors"),
]
