from django.contrib import admin

from fedimage.ci.models import CiRun


@admin.register(CiRun)
class CiRunAdmin(admin.ModelAdmin):
    list_display = ("title", "run_at", "parsed", "problem", "image", "digest")
    list_filter = ("parsed",)
    search_fields = ("title", "digest")
    readonly_fields = [f.name for f in CiRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
