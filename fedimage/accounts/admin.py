"""Admin (superusers): profiles and tokens to look at and revoke; secrets are never shown."""

from django.contrib import admin, messages

from fedimage.accounts import services
from fedimage.accounts.models import ApiToken, Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "fas_username", "time_zone", "fas_synced_at"]
    search_fields = ["user__username", "fas_username"]
    readonly_fields = ["user", "fas_username", "fas_groups", "fas_synced_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name != "digest"]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(user=request.user, token=token)
        messages.success(request, "The tokens are revoked.")
