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
    path("blueprint-rows/<blueprint:name>", views.blueprint_rows, name="blueprint_rows"),
    path("blueprint-suggest/<blueprint:name>", views.suggest, name="suggest"),
    path("expectations/<int:pk>/accept/", views.accept, name="accept"),
    path("blueprint/<blueprint:name>", views.blueprint, name="blueprint"),
]
