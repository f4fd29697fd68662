from django.contrib import admin, messages

from . import outbox, tasks
from .models import AlertPreference, Delivery, Digest, FailureEvent, OutboxState, ThrottleWindow


@admin.register(AlertPreference)
class AlertPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "enabled", "email", "updated_at")
    list_filter = ("enabled",)
    search_fields = ("user__username", "user__email", "email")
    raw_id_fields = ("user",)
    # The token authenticates unsubscribe links: not shown, not editable.
    exclude = ("unsubscribe_salt", "unsubscribe_hash")


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    fields = ("user", "state", "attempts", "last_error", "sent_at", "address")
    readonly_fields = fields
    can_delete = False


@admin.register(FailureEvent)
class FailureEventAdmin(admin.ModelAdmin):
    list_display = ("detected_at", "kind", "blueprint_name", "step_name", "client_name", "status")
    list_filter = ("kind",)
    search_fields = ("execution__uuid", "blueprint_name", "step_name", "client_name")
    raw_id_fields = ("execution",)
    readonly_fields = ("detected_at",)
    inlines = [DeliveryInline]


@admin.action(description="Send the selected failed deliveries again")
def retry_deliveries(modeladmin, request, queryset):
    count = sum(
        outbox.retry_failed(d, tasks.enqueue_deliveries, tasks.enqueue_digests)
        for d in queryset.filter(state=OutboxState.FAILED)
    )
    modeladmin.message_user(request, f"{count} deliveries queued again.", messages.SUCCESS)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "alert", "event", "state", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("state",)
    search_fields = ("user__username", "address", "event__execution__uuid")
    raw_id_fields = ("alert", "event", "user", "window", "digest")
    readonly_fields = ("message_uuid", "claim_token", "claimed_at", "created_at", "updated_at")
    actions = [retry_deliveries]


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "state", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("state",)
    raw_id_fields = ("user", "window")
    readonly_fields = ("message_uuid", "claim_token", "claimed_at", "created_at", "updated_at")


@admin.register(ThrottleWindow)
class ThrottleWindowAdmin(admin.ModelAdmin):
    list_display = ("user", "starts_at", "ends_at", "admitted")
    raw_id_fields = ("user",)
