from django.contrib import admin

from .models import AlertPreference, FailureEvent, ThrottleWindow


@admin.register(AlertPreference)
class AlertPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "enabled", "email", "updated_at")
    list_filter = ("enabled",)
    search_fields = ("user__username", "user__email", "email")
    raw_id_fields = ("user",)
    # The token authenticates opt-out links: not shown, not editable.
    exclude = ("opt_out_salt", "opt_out_hash")


@admin.register(FailureEvent)
class FailureEventAdmin(admin.ModelAdmin):
    list_display = ("detected_at", "kind", "blueprint_name", "step_name", "client_name", "status")
    list_filter = ("kind",)
    search_fields = ("execution__uuid", "blueprint_name", "step_name", "client_name")
    raw_id_fields = ("execution",)
    readonly_fields = ("detected_at",)


@admin.register(ThrottleWindow)
class ThrottleWindowAdmin(admin.ModelAdmin):
    list_display = ("user", "starts_at", "ends_at", "admitted")
    raw_id_fields = ("user",)
