"""The audit log and published results: read-only for everyone, superusers included."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from communes.admin import ModelAdmin, ReadOnlyAdminMixin, format_date, format_datetime

from .. import rules
from ..models import AuditEvent, FieldResult, Publication, Result
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
        "old_value",
        "new_value",
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
        "old_value",
        "new_value",
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

    @admin.display(description=_("thời điểm"), ordering="at")
    def at_display(self, obj):
        return format_datetime(obj.at)

    @admin.display(description=_("đơn vị"), ordering="assessment__commune__name")
    def commune(self, obj):
        return obj.assessment.commune if obj.assessment_id else ""

    @admin.display(description=_("tiêu chí"), ordering="criterion__code")
    def criterion_code(self, obj):
        return obj.criterion.code if obj.criterion_id else ""

    @admin.display(description=_("chi tiết"))
    def detail_display(self, obj):
        return json_block(obj.detail)


class FieldResultInline(admin.TabularInline):
    model = FieldResult
    extra = 0
    can_delete = False
    fields = ("field_code", "field_name", "score_display", "max_display", "rank_display")
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("field", "result__commune")
            .order_by("field__position")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("lĩnh vực"))
    def field_code(self, obj):
        return obj.field.code

    @admin.display(description=_("tên lĩnh vực"))
    def field_name(self, obj):
        return obj.field.name

    @admin.display(description=_("điểm"))
    def score_display(self, obj):
        return rules.format_score(obj.score)

    @admin.display(description=_("điểm tối đa"))
    def max_display(self, obj):
        return rules.format_score(obj.max_points)

    @admin.display(description=_("xếp hạng"))
    def rank_display(self, obj):
        return f"{obj.rank}/{obj.rank_of} hạng"


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdminMixin, ModelAdmin):
    readonly_reason = _(
        "kết quả đã công bố không bao giờ được sửa hay xóa; muốn điều chỉnh, hãy công bố lại "
        "(lần công bố mới, có lý do)."
    )
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

    @admin.display(description=_("thời điểm công bố"), ordering="published_at")
    def published_at_display(self, obj):
        return format_datetime(obj.published_at)

    @admin.display(description=_("ngày quyết định"), ordering="decision_date")
    def decision_date_display(self, obj):
        return format_date(obj.decision_date)

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
    readonly_reason = _(
        "kết quả đã công bố không bao giờ được sửa hay xóa; muốn điều chỉnh, hãy công bố lại "
        "(lần công bố mới, có lý do)."
    )
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
        "applicable_max_display",
        "index_display",
        "rank_display",
        "classification",
        "previous_total_display",
        "previous_index_display",
        "previous_rank",
    )
    readonly_fields = fields
    inlines = (FieldResultInline,)
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("publication__period", "commune")

    @admin.display(description=_("kỳ đánh giá"), ordering="publication__period__code")
    def period(self, obj):
        return obj.publication.period.code

    @admin.display(description=_("lần công bố"), ordering="publication__version")
    def version(self, obj):
        return obj.publication.version

    @admin.display(description=_("tổng điểm"), ordering="total")
    def total_display(self, obj):
        return rules.format_total(obj.total)

    @admin.display(description=_("điểm tối đa áp dụng"))
    def applicable_max_display(self, obj):
        return rules.format_total(obj.applicable_max)

    @admin.display(description=_("chỉ số (%)"), ordering="index")
    def index_display(self, obj):
        return rules.format_total(obj.index)

    @admin.display(description=_("xếp thứ"), ordering="rank")
    def rank_display(self, obj):
        return f"{obj.rank}/{obj.rank_of}"

    @admin.display(description=_("tổng điểm năm trước"))
    def previous_total_display(self, obj):
        return rules.format_total(obj.previous_total)

    @admin.display(description=_("chỉ số năm trước"))
    def previous_index_display(self, obj):
        return rules.format_total(obj.previous_index)


@admin.register(FieldResult)
class FieldResultAdmin(ReadOnlyAdminMixin, ModelAdmin):
    readonly_reason = _(
        "kết quả đã công bố không bao giờ được sửa hay xóa; muốn điều chỉnh, hãy công bố lại "
        "(lần công bố mới, có lý do)."
    )
    list_display = (
        "commune",
        "period",
        "field_code",
        "score_display",
        "max_display",
        "rank_display",
    )
    list_select_related = ("result__commune", "result__publication__period", "field")
    list_filter = ("result__publication__period",)
    search_fields = ("result__commune__code", "result__commune__name", "field__code")
    search_help_text = _("Tìm theo mã, tên xã hoặc mã lĩnh vực.")
    ordering = ("result__publication", "field__position", "rank")
    fields = ("result", "field", "score_display", "max_display", "rank_display")
    readonly_fields = fields
    list_per_page = 100

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("result__commune", "result__publication__period", "field")
        )

    @admin.display(description=_("đơn vị"), ordering="result__commune__name")
    def commune(self, obj):
        return obj.result.commune

    @admin.display(description=_("kỳ đánh giá"), ordering="result__publication__period__code")
    def period(self, obj):
        return obj.result.publication.period.code

    @admin.display(description=_("lĩnh vực"), ordering="field__position")
    def field_code(self, obj):
        return obj.field.code

    @admin.display(description=_("điểm"), ordering="score")
    def score_display(self, obj):
        return rules.format_score(obj.score)

    @admin.display(description=_("điểm tối đa"))
    def max_display(self, obj):
        return rules.format_score(obj.max_points)

    @admin.display(description=_("xếp hạng"), ordering="rank")
    def rank_display(self, obj):
        return f"{obj.rank}/{obj.rank_of} hạng"
