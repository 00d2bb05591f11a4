"""TTHC figures (số liệu giải quyết TTHC) per period and commune: imported by `import_tthc` or
typed here ("nhập tay"), every change audited, view-only once the period is published."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from communes.admin import column, format_datetime

from ..audit import record_event
from ..models import Assessment, Period, ProcedureFigures
from .base import ScoringAdmin, period_locked_reason

TYPED = "nhập tay"  # the source of figures typed here
TYPED_REASON = _("Nhập tay trong trang quản trị")
DELETED_REASON = _("Xóa trong trang quản trị")


@admin.register(ProcedureFigures)
class ProcedureFiguresAdmin(ScoringAdmin):
    list_display = (
        "commune",
        "period_code",
        "received",
        "processed",
        "on_time",
        "late",
        "late_share",
        "online",
        "source",
        "updated_at_display",
    )
    list_select_related = ("commune", "period")
    list_filter = ("period",)
    search_fields = ("commune__code", "commune__name")
    search_help_text = _("Tìm theo mã hoặc tên xã.")
    autocomplete_fields = ("commune",)
    fields = (
        "period",
        "commune",
        "received",
        "processed",
        "on_time",
        "late",
        "online",
        "source",
        "updated_at_display",
        "updated_by",
    )
    readonly_fields = ("source", "updated_at_display", "updated_by")
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("commune", "period", "updated_by")

    def get_readonly_fields(self, request, obj=None):
        # Which commune and period the figures belong to is fixed once they exist.
        if obj is not None:
            return ("period", "commune", *self.readonly_fields)
        return self.readonly_fields

    def locked_reason(self, request, obj) -> str:
        return period_locked_reason(obj.period)

    @admin.display(description=_("kỳ đánh giá"), ordering="period__code")
    def period_code(self, obj):
        return obj.period.code

    @admin.display(description=_("tỷ lệ trễ hạn"))
    def late_share(self, obj):
        return obj.late_share_text

    updated_at_display = column(format_datetime, "updated_at", _("cập nhật lúc"))

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        """Save under the locks import_tthc takes (the period, then the row), auditing the old
        figures as stored under them: an import committing meanwhile is waited for, and a
        publication committed since the page was checked refuses the save (403)."""
        period = Period.objects.select_for_update().get(pk=obj.period_id)
        if period.is_published:
            raise PermissionDenied(period_locked_reason(period))
        old = (
            ProcedureFigures.objects.select_for_update().get(pk=obj.pk).text if change else ""
        )
        obj.source = TYPED
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        self._record(request, obj, "procedure_figures_typed", old, obj.text, TYPED_REASON)

    @transaction.atomic
    def delete_model(self, request, obj):
        self._record(request, obj, "procedure_figures_deleted", obj.text, "", DELETED_REASON)
        super().delete_model(request, obj)

    def get_actions(self, request):
        # Bulk delete would skip the audit event of each row.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _record(self, request, obj, action, old, new, reason):
        record_event(
            Assessment.objects.filter(period_id=obj.period_id, commune_id=obj.commune_id).first(),
            period=obj.period,
            by=request.user,
            action=action,
            old=old,
            new=new,
            reason=str(reason),
        )
