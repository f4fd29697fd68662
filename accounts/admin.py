"""The admin site assigns roles: the user form's Role field goes through roles.assign_role."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from . import roles
from .models import Profile

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["time_zone"]


class RoleForm(forms.ModelForm):
    role = forms.ChoiceField(
        choices=[("", "No role (no access)")] + [(r, r) for r in roles.ROLES],
        required=False,
        help_text="Viewer: sees and watches. Operator: also triages incidents and manages their own "
        "channels. Admin: also manages monitors, organisation channels and users, and reads the audit log.",
    )


class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "role", "is_active", "last_login"]
    list_filter = ["groups", "is_active", "is_superuser"]
    # Roles are chosen in one field, not as raw groups and permissions.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Role", {"fields": ("role", "is_active", "is_superuser")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            base = type("UserRoleForm", (RoleForm, self.form), {})
            kwargs["form"] = base
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "role" in form.base_fields:
            form.base_fields["role"].initial = roles.role_of(obj) or ""
        return form

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser makes superusers: an Admin cannot raise themselves above Admin.
        return () if request.user.is_superuser else ("is_superuser",)

    def get_inlines(self, request, obj):
        return [ProfileInline] if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        return self.fieldsets

    @admin.display(description="Role")
    def role(self, obj):
        return roles.role_of(obj) or "—"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and "role" in form.cleaned_data:
            roles.assign_role(form.instance, form.cleaned_data["role"] or None, actor=request.user)


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
