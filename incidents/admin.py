from django.contrib import admin

from .models import Incident, StatusChange


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    fields = ("at", "from_status", "to_status", "by", "note")
    readonly_fields = fields
    can_delete = False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Read-only: status changes go through incidents.services (the pages and the command)."""

    list_display = ("id", "title", "blueprint_name", "status", "occurrences", "clients", "last_seen")
    list_filter = ("status", "family")
    search_fields = ("title", "blueprint_name", "message")
    readonly_fields = [f.name for f in Incident._meta.fields]
    inlines = [StatusChangeInline]

    def has_add_permission(self, request):
        return False
