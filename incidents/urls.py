from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("bulk/", views.bulk, name="bulk"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/executions/", views.rows, name="rows"),
    path("<int:pk>/act/", views.act, name="act"),
    # Where the execution pages' "latest failure" links go: no query on their side.
    path("for-execution/<uuid:uuid>/", views.for_execution, name="for_execution"),
]
