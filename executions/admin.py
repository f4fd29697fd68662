from django.contrib import admin

from .models import Execution, Snapshot, Step, Watch


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ("position", "name", "status", "failure_kind", "executed_at", "info")
    readonly_fields = fields
    can_delete = False


@admin.register(Execution)
class ExecutionAdmin(admin.ModelAdmin):
    list_display = ("uuid", "name", "status", "is_failing", "poll_state", "last_polled_at", "next_poll_at")
    list_filter = ("status", "poll_state", "is_failing", "is_finished", "final_confirmed")
    search_fields = ("uuid", "name", "account_name", "triggered_by")
    readonly_fields = ("created_at", "updated_at", "payload_hash", "version")
    inlines = [StepInline]


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    list_display = ("execution", "position", "name", "status", "failure_kind", "executed_at")
    list_filter = ("status", "failure_kind")
    search_fields = ("uuid", "name", "execution__uuid")
    raw_id_fields = ("execution",)


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ("execution", "fetched_at", "payload_hash")
    raw_id_fields = ("execution",)
    search_fields = ("execution__uuid",)


@admin.register(Watch)
class WatchAdmin(admin.ModelAdmin):
    list_display = ("user", "execution", "label", "muted", "created_at")
    list_filter = ("muted",)
    search_fields = ("user__username", "execution__uuid", "label")
    raw_id_fields = ("execution", "user")
