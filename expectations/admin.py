from django.contrib import admin

from .models import Expectation


@admin.register(Expectation)
class ExpectationAdmin(admin.ModelAdmin):
    list_display = ("id", "blueprint_name", "connection", "kind", "state", "suggested", "last_checked")
    list_filter = ("kind", "state", "suggested", "connection")
