"""Evidence in the admin: file facts only, read-only. The file itself is reached through the
permission-checked /evidence/<id>/ view, never by a media URL (the storage is never served directly)."""

from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from communes.admin import ModelAdmin, ReadOnlyAdminMixin, column, format_date, format_datetime
from scoring.admin.base import AssessmentColumns

from .models import Evidence


@admin.register(Evidence)
class EvidenceAdmin(AssessmentColumns, ReadOnlyAdminMixin, ModelAdmin):
    readonly_reason = _(
        "tài liệu kiểm chứng được tải lên, dùng lại và gỡ bỏ trên trang chấm điểm của xã, nơi tệp "
        "được kiểm tra và mọi thay đổi được ghi nhật ký."
    )
    list_display = (
        "title",
        "commune",
        "period",
        "size_display",
        "content_type",
        "uploaded_by",
        "uploaded_at_display",
        "download",
    )
    list_select_related = ("assessment__commune", "assessment__period", "uploaded_by")
    list_filter = ("assessment__period", "content_type")
    search_fields = (
        "original_name",
        "sha256",
        "doc_number",
        "description",
        "assessment__commune__code",
        "assessment__commune__name",
    )
    search_help_text = _("Tìm theo tên tệp, mã băm, số văn bản, trích yếu hoặc xã.")
    fields = (
        "assessment",
        "original_name",
        "download",
        "size_display",
        "content_type",
        "sha256",
        "criteria",
        "doc_number",
        "doc_date_display",
        "doc_issuer",
        "description",
        "uploaded_by",
        "uploaded_at_display",
    )
    readonly_fields = fields
    list_per_page = 50

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("assessment__commune", "assessment__period", "uploaded_by")
        )

    @admin.display(description=_("tài liệu"), ordering="original_name")
    def title(self, obj):
        return str(obj)

    @admin.display(description=_("dung lượng"), ordering="size")
    def size_display(self, obj):
        return filesizeformat(obj.size) if obj.file else ""

    uploaded_at_display = column(format_datetime, "uploaded_at", _("thời điểm tải lên"))
    doc_date_display = column(format_date, "doc_date", _("ngày ban hành"))

    @admin.display(description=_("tải về"))
    def download(self, obj):
        if not obj.file:
            return _("(văn bản, không có tệp)")
        return format_html(
            '<a href="{}">{}</a>', reverse("evidence:download", args=[obj.pk]), _("Tải tệp")
        )

    @admin.display(description=_("chứng minh cho tiêu chí"))
    def criteria(self, obj):
        codes = obj.scores.order_by("criterion__position").values_list("criterion__code", flat=True)
        return ", ".join(codes) or "—"
