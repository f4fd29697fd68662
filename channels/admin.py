"""Admin: channels are listed with their masked target only; secrets are not editable here."""

from django.contrib import admin

from .models import Channel, DeliveryAttempt


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "target_display", "owner", "state", "created_at")
    list_filter = ("kind", "state")
    search_fields = ("name",)
    # The encrypted fields are not editable=True, so they are never in the form.
    fields = ("name", "owner", "kind", "target_display", "state", "failing_since", "broken_at",
              "last_success_at", "confirmed_at", "created_by", "created_at")
    readonly_fields = ("kind", "target_display", "failing_since", "broken_at", "last_success_at", "created_by",
                       "created_at")

    def has_add_permission(self, request):
        return False  # add through the channels page, which validates and encrypts


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    list_display = ("at", "channel", "notification_kind", "ok", "status_code", "error")
    list_filter = ("ok", "notification_kind")
    readonly_fields = [f.name for f in DeliveryAttempt._meta.fields]

    def has_add_permission(self, request):
        return False
