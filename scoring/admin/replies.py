"""The reply round (kết quả thẩm định dự kiến): rounds and the communes' replies, read-only for
everyone — they change only through the commune's page and the appraisal team's answers
(scoring/services/replies.py), which audit every step."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from communes.admin import ModelAdmin, ReadOnlyAdminMixin, ReadOnlyInline, column, format_datetime

from .. import rules
from ..models import Reply, ReplyRound

REPLY_REASON = _(
    "ý kiến của đơn vị và trả lời của tổ thẩm định chỉ ghi qua trang hồ sơ (có nhật ký); "
    "không ai thêm, sửa hay xóa ở đây."
)


class ReplyInline(ReadOnlyInline):
    model = Reply
    fields = (
        "criterion_code", "disagrees", "explanation", "before_display", "answer", "answer_note",
        "after_display", "answered_by",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super().get_queryset(request)
            .select_related(
                "score__criterion", "answered_by",
                "round__assessment__commune", "round__assessment__period",  # each row's title
            )
            .order_by("score__criterion__position", "score__criterion__code")
        )

    @admin.display(description=_("tiêu chí"))
    def criterion_code(self, obj):
        return obj.score.criterion.code

    before_display = column(rules.format_score, "appraised_before", _("điểm dự kiến"))
    after_display = column(rules.format_score, "appraised_after", _("điểm sau giải trình"))


@admin.register(ReplyRound)
class ReplyRoundAdmin(ReadOnlyAdminMixin, ModelAdmin):
    readonly_reason = REPLY_REASON
    list_display = (
        "assessment", "number", "announced_display", "announced_by", "sent_display", "sent_by",
        "closed_display",
    )
    list_select_related = ("assessment__commune", "assessment__period", "announced_by", "sent_by")
    list_filter = ("assessment__period",)
    search_fields = ("assessment__commune__code", "assessment__commune__name")
    search_help_text = _("Tìm theo mã hoặc tên xã.")
    fields = (
        "assessment", "number", "announced_display", "announced_by", "sent_display", "sent_by",
        "closed_display",
    )
    readonly_fields = fields
    inlines = [ReplyInline]
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "assessment__commune", "assessment__period", "announced_by", "sent_by"
        )

    announced_display = column(format_datetime, "announced_at", _("thời điểm thông báo"))
    sent_display = column(format_datetime, "sent_at", _("thời điểm đơn vị gửi ý kiến"))
    closed_display = column(format_datetime, "closed_at", _("thời điểm kết thúc"))


@admin.register(Reply)
class ReplyAdmin(ReadOnlyAdminMixin, ModelAdmin):
    readonly_reason = REPLY_REASON
    list_display = (
        "commune", "round_number", "criterion_code", "disagrees", "answer", "before_display",
        "after_display", "answered_by",
    )
    list_select_related = (
        "round__assessment__commune", "score__criterion", "answered_by",
    )
    list_filter = ("round__assessment__period", "disagrees", "answer")
    search_fields = (
        "round__assessment__commune__code", "round__assessment__commune__name",
        "score__criterion__code", "explanation", "answer_note",
    )
    search_help_text = _("Tìm theo xã, mã tiêu chí, ý kiến hoặc giải trình.")
    fields = (
        "round", "score", "disagrees", "explanation", "before_display", "answer", "answer_note",
        "after_display", "answered_by", "answered_display", "version",
    )
    readonly_fields = fields
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "round__assessment__commune", "round__assessment__period",
            "score__criterion", "score__assessment__commune", "score__assessment__period",
            "answered_by",
        )

    @admin.display(description=_("đơn vị"), ordering="round__assessment__commune__name")
    def commune(self, obj):
        return obj.round.assessment.commune

    @admin.display(description=_("lần"), ordering="round__number")
    def round_number(self, obj):
        return obj.round.number

    @admin.display(description=_("tiêu chí"), ordering="score__criterion__code")
    def criterion_code(self, obj):
        return obj.score.criterion.code

    before_display = column(rules.format_score, "appraised_before", _("điểm dự kiến"))
    after_display = column(rules.format_score, "appraised_after", _("điểm sau giải trình"))
    answered_display = column(format_datetime, "answered_at", _("thời điểm trả lời"))
