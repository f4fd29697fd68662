from django.urls import path

from . import views

app_name = "expectations"

urlpatterns = [
    path("blueprint-rows/<path:name>", views.blueprint_rows, name="blueprint_rows"),
    path("blueprint-suggest/<path:name>", views.suggest, name="suggest"),
    path("expectations/<int:pk>/accept/", views.accept, name="accept"),
    path("blueprint/<path:name>", views.blueprint, name="blueprint"),
]
