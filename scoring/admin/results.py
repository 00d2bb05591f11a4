"""The audit log and published results: read-only for everyone, superusers included."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from communes.admin import (
    ModelAdmin,
    ReadOnlyAdminMixin,
    column,
    format_date,
    format_datetime,
)

from .. import rules
from ..models import AuditEvent, Criterion, Publication, Result
from .base import json_block

# --- the audit log and published results: read-only for everyone -------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, ModelAdmin):
    readonly_reason = _("nhật ký thay đổi chỉ được ghi thêm; không ai sửa hay xóa được.")
    list_display = (
        "at_display",
        "user",
        "action",
        "period",
        "commune",
        "criterion_code",
        "field_name",
        "old_text",
        "new_text",
        "reason",
    )
    list_select_related = ("user", "period", "assessment__commune", "criterion")
    list_filter = ("action", "period")
    search_fields = (
        "user__username",
        "user__first_name",
        "assessment__commune__code",
        "assessment__commune__name",
        "criterion__code",
        "reason",
        "old_value",
        "new_value",
    )
    search_help_text = _("Tìm theo người thực hiện, xã, mã tiêu chí, lý do hoặc giá trị.")
    fields = (
        "at_display",
        "user",
        "action",
        "period",
        "assessment",
        "criterion",
        "field_name",
        "old_text",
        "new_text",
        "reason",
        "detail_display",
    )
    readonly_fields = fields
    list_per_page = 100

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "user", "period", "assessment__commune", "assessment__period", "criterion"
            )
        )

    at_display = column(format_datetime, "at", _("thời điểm"))

    @admin.display(description=_("đơn vị"), ordering="assessment__commune__name")
    def commune(self, obj):
        return obj.assessment.commune if obj.assessment_id else ""

    @admin.display(description=_("tiêu chí"), ordering="criterion__code")
    def criterion_code(self, obj):
        return obj.criterion.code if obj.criterion_id else ""

    @admin.display(description=_("giá trị cũ"))
    def old_text(self, obj):
        return obj.old_text

    @admin.display(description=_("giá trị mới"))
    def new_text(self, obj):
        return obj.new_text

    @admin.display(description=_("chi tiết"))
    def detail_display(self, obj):
        return json_block(obj.detail)


PUBLISHED_REASON = _(
    "kết quả đã công bố không bao giờ được sửa hay xóa; muốn điều chỉnh, hãy công bố lại "
    "(lần công bố mới, có lý do)."
)


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdminMixin, ModelAdmin):
    readonly_reason = PUBLISHED_REASON
    list_display = (
        "period",
        "version",
        "published_at_display",
        "published_by",
        "decision",
        "decision_date_display",
        "results_link",
    )
    list_select_related = ("period", "published_by")
    list_filter = ("period",)
    search_fields = ("period__code", "period__name", "decision", "reason")
    search_help_text = _("Tìm theo mã, tên kỳ, số quyết định hoặc lý do.")
    # The stored ranking PDF is reached through the permission-checked results pages, never
    # by a raw media URL.
    fields = (
        "period",
        "version",
        "published_at_display",
        "published_by",
        "decision",
        "decision_date_display",
        "reason",
        "exclusions_display",
        "results_link",
        "public_link",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("period", "published_by")

    published_at_display = column(format_datetime, "published_at", _("thời điểm công bố"))
    decision_date_display = column(format_date, "decision_date", _("ngày quyết định"))

    @admin.display(description=_("đơn vị không xếp hạng"))
    def exclusions_display(self, obj):
        return json_block(obj.exclusions)

    @admin.display(description=_("kết quả"))
    def results_link(self, obj):
        url = (
            reverse("admin:scoring_result_changelist")
            + "?"
            + urlencode({"publication__id__exact": obj.pk})
        )
        return format_html('<a href="{}">{}</a>', url, _("Xem kết quả từng xã"))

    @admin.display(description=_("trang kết quả"))
    def public_link(self, obj):
        url = reverse("reports:results", args=[obj.period.code])
        return format_html('<a href="{}">{}</a>', url, _("Bảng xếp hạng đã công bố"))


@admin.register(Result)
class ResultAdmin(ReadOnlyAdminMixin, ModelAdmin):
    readonly_reason = PUBLISHED_REASON
    list_display = (
        "commune",
        "period",
        "version",
        "total_display",
        "index_display",
        "rank_display",
        "classification",
        "previous_rank",
    )
    list_select_related = ("publication__period", "commune")
    list_filter = ("publication__period", "classification")
    search_fields = ("commune__code", "commune__name")
    search_help_text = _("Tìm theo mã hoặc tên xã.")
    ordering = ("publication", "rank", "commune__name")
    fields = (
        "publication",
        "commune",
        "total_display",
        "adjustment_display",
        "adjustments_display",
        "applicable_max_display",
        "index_display",
        "rank_display",
        "classification",
        "previous_total_display",
        "previous_index_display",
        "previous_rank",
        "field_results_display",
    )
    readonly_fields = fields
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("publication__period", "commune")

    @admin.display(description=_("kỳ đánh giá"), ordering="publication__period__code")
    def period(self, obj):
        return obj.publication.period.code

    @admin.display(description=_("lần công bố"), ordering="publication__version")
    def version(self, obj):
        return obj.publication.version

    total_display = column(rules.format_total, "total", _("tổng điểm"))
    adjustment_display = column(rules.format_signed, "adjustment", _("điểm thưởng, điểm trừ"))
    applicable_max_display = column(rules.format_total, "applicable_max", _("điểm tối đa áp dụng"))
    index_display = column(rules.format_total, "index", _("chỉ số (%)"))
    previous_total_display = column(rules.format_total, "previous_total", _("tổng điểm năm trước"))
    previous_index_display = column(rules.format_total, "previous_index", _("chỉ số năm trước"))

    @admin.display(description=_("xếp thứ"), ordering="rank")
    def rank_display(self, obj):
        """ "3/45", or within its ranking block "3/45 khối phường"."""
        within = f" {rules.block_phrase(obj.block)}" if obj.block else ""
        return f"{obj.rank}/{obj.rank_of}{within}"

    @admin.display(description=_("các khoản thưởng, trừ"))
    def adjustments_display(self, obj):
        return json_block(obj.adjustments)

    @admin.display(description=_("kết quả từng lĩnh vực"))
    def field_results_display(self, obj):
        scores = obj.field_scores()
        fields = Criterion.objects.filter(
            criteria_set_id=obj.publication.period.criteria_set_id, code__in=scores
        ).order_by("position", "code")
        rows = format_html_join(
            "",
            "<tr><td>{}. {}</td><td>{}</td><td>{}</td><td>{}/{} hạng</td></tr>",
            (
                (
                    f.code,
                    f.name,
                    rules.format_score(scores[f.code].score),
                    rules.format_score(scores[f.code].max_points),
                    scores[f.code].rank,
                    scores[f.code].rank_of,
                )
                for f in fields
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("lĩnh vực"),
            _("điểm"),
            _("điểm tối đa"),
            _("xếp hạng"),
            rows,
        )
