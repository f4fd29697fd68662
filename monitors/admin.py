from django.contrib import admin

from .models import BlueprintDay, Monitor, Subscription


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Monitor)
class MonitorAdmin(admin.ModelAdmin):
    list_display = ["name", "scope", "paused", "paused_until", "last_swept_at", "lag_seconds"]
    list_filter = ["scope", "paused"]
    search_fields = ["name", "blueprint_name"]
    readonly_fields = ["high_water", "last_swept_at", "last_sweep_found", "last_sweep_requests", "lag_seconds",
                       "last_sweep_error", "created_at", "updated_at"]
    inlines = [SubscriptionInline]


@admin.register(BlueprintDay)
class BlueprintDayAdmin(admin.ModelAdmin):
    list_display = ["day", "connection", "blueprint_name", "executions", "finished", "failed", "hidden", "late"]
    date_hierarchy = "day"
