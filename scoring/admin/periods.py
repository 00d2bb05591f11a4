"""Periods: bands as one line of text, dates dd/mm/yyyy, new ones opened by create_period."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from communes.admin import column, format_date
from communes.models import Kind, Unit

from .. import rules
from ..audit import record_event
from ..models import Period
from ..services import setup
from .base import ScoringAdmin

ADD_DEFAULTS = {
    "name": _("“Chỉ số CCHC năm <năm> – <đơn vị thẩm định>”."),
    "opens_on": _("hôm nay."),
    "self_assessment_due": _("30 ngày sau ngày bắt đầu."),
    "appraisal_due": _("30 ngày sau hạn tự đánh giá."),
}


class PeriodForm(forms.ModelForm):
    bands_text = forms.CharField(
        label=_("Mức xếp loại"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=_(
            "Dạng TÊN:ĐIỂM_TỐI_THIỂU, ngăn cách bằng dấu chấm phẩy, ví dụ "
            "“Hoàn thành tốt nhiệm vụ:80;Hoàn thành nhiệm vụ:65”. Để trống: các mức mặc định."
        ),
    )

    # Which communes a new period covers (docs/design.md §6, create_period --as-of).
    as_of = forms.DateField(
        label=_("Tính các đơn vị hoạt động vào ngày"),
        required=False,
        input_formats=["%d/%m/%Y"],
        widget=AdminDateWidget(format="%d/%m/%Y"),
        help_text=_(
            "Kỳ đánh giá gồm các xã, phường, đặc khu thuộc đơn vị thẩm định hoạt động vào ngày "
            "này. Để trống: 31/12 của năm đánh giá."
        ),
    )

    blocks_text = forms.CharField(
        label=_("Khối xếp hạng"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=mark_safe(  # the admin shows help as HTML: the codes in <code>
            "Dạng TÊN_KHỐI:loại,loại, ngăn cách bằng dấu chấm phẩy, ví dụ "
            "<code>Phường:phuong;Xã, đặc khu:xa,dac_khu</code> (loại: <code>xa</code>, "
            "<code>phuong</code>, <code>thi_tran</code>, <code>dac_khu</code>). "
            "Mỗi đơn vị của kỳ phải thuộc đúng một khối. Để trống: xếp hạng chung một bảng."
        ),
    )

    # The status the page showed: a publication or reopening committed after it is never
    # written over by a page that did not see it.
    seen_status = forms.CharField(
        widget=forms.HiddenInput, required=False, label=_("Trạng thái khi mở trang")
    )

    # Set by clean() on a change: the model fields this edit writes.
    edited: list[str] = []

    class Meta:
        model = Period
        exclude = ("bands", "blocks")
        widgets = {
            name: AdminDateWidget(format="%d/%m/%Y")
            for name in ("opens_on", "self_assessment_due", "appraisal_due")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bands_text"].initial = rules.format_bands(self.instance.band_list())
        self.fields["blocks_text"].initial = rules.format_blocks(self.instance.block_list())
        for name in ("opens_on", "self_assessment_due", "appraisal_due"):
            if name in self.fields:
                self.fields[name].input_formats = ["%d/%m/%Y"]
                self.fields[name].help_text = _("Ngày/tháng/năm, ví dụ 15/01/2025.")
        if not self.instance.pk:
            # setup.create_period fills what is left empty (docs/design.md §6).
            for name, default in ADD_DEFAULTS.items():
                if name in self.fields:
                    self.fields[name].required = False
                    self.fields[name].help_text = _("Để trống: %(default)s") % {"default": default}
        self.fields["seen_status"].initial = self.instance.status
        if "status" in self.fields:
            # Publishing goes through the publish function (it freezes results); never here.
            current = self.instance.status if self.instance.pk else None
            self.fields["status"].choices = [
                (value, label)
                for value, label in Period.Status.choices
                if value != Period.Status.PUBLISHED or value == current
            ]

    def clean_bands_text(self):
        text = self.cleaned_data["bands_text"].strip()
        if not text:
            return []
        try:
            return rules.parse_bands(text)
        except rules.RuleError as error:
            raise ValidationError(str(error)) from None

    def clean_blocks_text(self):
        try:
            return rules.parse_blocks(self.cleaned_data["blocks_text"], Kind.values)
        except rules.RuleError as error:
            raise ValidationError(str(error)) from None

    def clean(self):
        cleaned = super().clean()
        bands = cleaned.get("bands_text")
        if bands:
            self.instance.set_bands(bands)
        elif bands is not None:
            self.instance.bands = []
        blocks = cleaned.get("blocks_text")
        if blocks is not None:
            self.instance.set_blocks(blocks)
        if self.instance.pk is None:
            self._check_can_open(cleaned)
        else:
            if blocks and "blocks_text" in self.changed_data:
                communes = Unit.objects.filter(assessments__period_id=self.instance.pk)
                self._check_blocks(blocks, communes)
            self.edited = self._check_stored(cleaned)
        return cleaned

    def _check_blocks(self, blocks, communes) -> None:
        """Every commune of the period in one block: setup.blocks_errors, as create_period."""
        for error in setup.blocks_errors(blocks, communes.only("name", "kind").order_by("code")):
            self.add_error("blocks_text", error)

    def _check_stored(self, cleaned) -> list[str]:
        """The fields to write, checked against the period as stored now, locked until the
        save (the admin runs the POST in one transaction): a publication or reopening waits
        for it, or it for them. Refuses a period published meanwhile and a status change
        made from a page that did not see the status stored now. The status is written only
        when the user changed it: every other column keeps what is stored."""
        stored = Period.objects.select_for_update(no_key=True).get(pk=self.instance.pk)
        if stored.is_published:
            raise ValidationError(
                _(
                    "Không lưu được: kỳ đánh giá %(code)s vừa được công bố. Muốn điều chỉnh, "
                    "hãy công bố lại (lần công bố mới, có lý do)."
                )
                % {"code": stored.code}
            )
        seen = cleaned.get("seen_status") or self.initial.get("status")
        wanted = cleaned.get("status")
        status_changed = wanted is not None and wanted != seen
        if status_changed and stored.status != seen:
            raise ValidationError(
                _(
                    "Không lưu được: trạng thái của kỳ đánh giá vừa được đổi thành “%(status)s” "
                    "sau khi trang được mở. Hãy tải lại trang để xem trạng thái mới rồi sửa lại."
                )
                % {"status": stored.get_status_display()}
            )
        edited = [
            {"bands_text": "bands", "blocks_text": "blocks"}.get(name, name)
            for name in self.changed_data
            if name not in ("seen_status", "status")
        ]
        return edited + ["status"] if status_changed else edited

    def _check_can_open(self, cleaned):
        """A new period goes through setup.create_period: refuse here what it would refuse."""
        criteria_set, unit = cleaned.get("criteria_set"), cleaned.get("unit")
        if criteria_set is not None:
            rows = setup.rows_of(criteria_set)
            if not rows:
                self.add_error(
                    "criteria_set",
                    _("Bộ tiêu chí %(code)s chưa có tiêu chí nào.") % {"code": criteria_set.code},
                )
            for error in setup.criteria_tree_errors(rows, total=criteria_set.total_points):
                self.add_error("criteria_set", error)
        year = cleaned.get("year")
        if unit is None or year is None:
            return
        as_of = cleaned.get("as_of") or setup.default_as_of(year)
        communes = setup.communes_under(unit, as_of)
        if not communes.exists():
            self.add_error("unit", setup.no_communes_message(unit, as_of))
        elif cleaned.get("blocks_text"):
            self._check_blocks(cleaned["blocks_text"], communes)


@admin.register(Period)
class PeriodAdmin(ScoringAdmin):
    form = PeriodForm
    list_display = (
        "code",
        "name",
        "year",
        "unit",
        "criteria_set_code",
        "status",
        "opens_on_display",
        "self_assessment_due_display",
        "appraisal_due_display",
    )
    list_display_links = ("code", "name")
    list_select_related = ("unit", "criteria_set")
    list_filter = ("status", "year")
    search_fields = ("code", "name", "unit__name", "criteria_set__code")
    search_help_text = _("Tìm theo mã, tên kỳ, đơn vị thẩm định hoặc mã bộ tiêu chí.")
    autocomplete_fields = ("criteria_set", "unit", "previous")
    add_fields = (
        "code",
        "year",
        "name",
        "criteria_set",
        "unit",
        "opens_on",
        "self_assessment_due",
        "appraisal_due",
        "as_of",
        "bands_text",
        "blocks_text",
        "previous",
    )
    change_fields = (
        "code",
        "year",
        "name",
        "criteria_set",
        "unit",
        "status",
        "opens_on",
        "self_assessment_due",
        "appraisal_due",
        "bands_text",
        "blocks_text",
        "previous",
        "seen_status",
    )
    view_fields = (
        "code",
        "year",
        "name",
        "criteria_set",
        "unit",
        "status",
        "opens_on_display",
        "self_assessment_due_display",
        "appraisal_due_display",
        "bands_display",
        "blocks_display",
        "previous",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit", "criteria_set", "previous")

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.add_fields
        return self.change_fields if self.has_change_permission(request, obj) else self.view_fields

    def get_readonly_fields(self, request, obj=None):
        # Assessments exist for the unit's communes and scores for the set's leaves.
        return ("criteria_set", "unit") if obj is not None else ()

    def locked_reason(self, request, obj) -> str:
        if obj.is_published:
            return _(
                "kỳ đánh giá đã công bố. Muốn điều chỉnh kết quả, hãy công bố lại "
                "(lần công bố mới, có lý do)."
            )
        return ""

    @admin.display(description=_("bộ tiêu chí"), ordering="criteria_set__code")
    def criteria_set_code(self, obj):
        return obj.criteria_set.code

    opens_on_display = column(format_date, "opens_on", _("ngày bắt đầu"))
    self_assessment_due_display = column(format_date, "self_assessment_due", _("hạn tự đánh giá"))
    appraisal_due_display = column(format_date, "appraisal_due", _("hạn thẩm định"))

    @admin.display(description=_("mức xếp loại"))
    def bands_display(self, obj):
        return rules.format_bands(obj.band_list())

    @admin.display(description=_("khối xếp hạng"))
    def blocks_display(self, obj):
        return rules.format_blocks(obj.block_list()) or _("một bảng chung")

    def object_tools(self, request, obj):
        query = urlencode({"period__id__exact": obj.pk})
        return [(reverse("admin:scoring_assessment_changelist") + "?" + query, _("Hồ sơ đánh giá"))]

    def save_model(self, request, obj, form, change):
        if change:
            # Only the edited columns (PeriodForm._check_stored, under the period's lock): a
            # status set by a publication or reopening meanwhile is never written back.
            fields = [name for name in form.changed_data if name != "seen_status"]
            if form.edited:
                obj.save(update_fields=form.edited)
            if fields:
                record_event(
                    by=request.user,
                    action="period_changed",
                    period=obj,
                    detail={"fields": fields, "via": "admin"},
                )
            return
        # A new period opens with one assessment per commune: the same service as create_period.
        created = setup.create_period(
            code=obj.code,
            year=obj.year,
            name=obj.name,
            criteria_set=obj.criteria_set,
            unit=obj.unit,
            opens_on=obj.opens_on,
            self_assessment_due=obj.self_assessment_due,
            appraisal_due=obj.appraisal_due,
            bands=obj.band_list() if obj.bands else None,
            blocks=obj.block_list(),
            previous=obj.previous,
            as_of=form.cleaned_data.get("as_of"),
            by=request.user,
        )
        obj.pk, obj.status, obj.created_at = created.pk, created.status, created.created_at
        obj._state.adding = False
