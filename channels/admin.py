"""Admin: channels are listed with their masked target only; secrets are not editable here."""

from django.contrib import admin, messages

from .models import Channel, Delivery, DeliveryAttempt, DeliveryState


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


@admin.action(description="Send the selected failed deliveries again")
def retry_deliveries(modeladmin, request, queryset):
    from . import outbox
    from .tasks import enqueue_deliveries

    count = sum(outbox.retry_failed(d, enqueue_deliveries) for d in queryset.filter(state=DeliveryState.FAILED))
    modeladmin.message_user(request, f"{count} deliveries queued again.", messages.SUCCESS)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The one outbox; `notice` and the channel's target are not shown (they may hold links)."""

    list_display = ("id", "topic", "kind", "user", "channel", "alert", "state", "attempts", "next_attempt_at",
                    "sent_at")
    list_filter = ("topic", "kind", "state")
    search_fields = ("user__username", "address")
    raw_id_fields = ("alert", "user", "channel", "window", "digest", "requested_by")
    exclude = ("notice",)
    readonly_fields = ("message_uuid", "claim_token", "claimed_at", "created_at", "updated_at")
    actions = [retry_deliveries]
