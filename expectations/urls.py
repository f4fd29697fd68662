from django.urls import path, register_converter

from . import views


class BlueprintName:
    """Any blueprint name, as Plannr spells it: slashes and line breaks included (reverse() quotes it)."""

    regex = r"[\s\S]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(BlueprintName, "blueprint")

app_name = "expectations"

urlpatterns = [
    # A blueprint is a name within a connection; the name comes last, as it may hold slashes.
    path("blueprint-rows/<int:connection>/<blueprint:name>", views.blueprint_rows, name="blueprint_rows"),
    path("blueprint-suggest/<int:connection>/<blueprint:name>", views.suggest, name="suggest"),
    path("blueprints/<int:connection>/<blueprint:name>", views.blueprint, name="blueprint"),
    path("incident-blueprint/<int:pk>", views.incident_blueprint, name="incident_blueprint"),
    path("expectations/<int:pk>/accept/", views.accept, name="accept"),
    path("blueprint/<blueprint:name>", views.blueprint_by_name, name="blueprint_by_name"),
]
