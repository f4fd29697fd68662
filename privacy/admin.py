"""The admin: custom rules."""

from django.contrib import admin

from .models import RedactionRule


@admin.register(RedactionRule)
class RedactionRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "pattern", "action", "enabled", "updated_at")
    list_filter = ("action", "enabled")
