from django.contrib import admin

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["title", "state", "done", "total", "started_by", "created_at", "finished_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["started_by"]
    search_fields = ["title", "key"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False
