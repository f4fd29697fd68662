"""The admin: "erase these executions' clients" on the executions' list (Admins)."""

from django.contrib import admin, messages

from executions.models import Execution

from .services import describe, erase_client


@admin.action(description="Erase the personal data of these executions' clients (erasure request)")
def erase_clients(modeladmin, request, queryset):
    clients = sorted({str(u) for u in queryset.exclude(account_uuid=None).values_list("account_uuid", flat=True)})
    for client in clients:
        changes = erase_client(client)
        modeladmin.message_user(request, f"client {client}: {describe(changes)}", messages.SUCCESS)
    if not clients:
        modeladmin.message_user(request, "None of these executions has a client uuid.", messages.WARNING)


# Added to the executions' admin from here: erasure belongs to this app.
admin.site._registry[Execution].actions = [*(admin.site._registry[Execution].actions or []), erase_clients]
