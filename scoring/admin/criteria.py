"""Criteria sets (tree shown indented with its warnings, "copy for next year") and criteria
(import and export as the ◆ import_criteria file)."""

import re
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from communes.admin import (
    ExportMixin,
    FileImportForm,
    ImportFromFileMixin,
    column,
    format_datetime,
)
from communes.models import Kind
from tabular.web import Imported

from .. import rules
from ..models import CriteriaSet, Criterion, Period
from ..resources import CriterionResource
from ..services import setup
from .base import DecimalInput, ScoringAdmin, set_locked_reason

# --- criteria sets ------------------------------------------------------------------------


def criteria_tree(criteria, *, total: Decimal | None) -> tuple[list[dict], list[str]]:
    """The set's criteria in tree order with their depth and their own problems, and the
    problems of the set as a whole (rules.tree_errors; each message about one criterion
    starts "Tiêu chí <code>:")."""
    by_id = {c.pk: c for c in criteria}
    code_of = {c.pk: c.code for c in criteria}
    nodes = [
        rules.Node(
            c.code,
            code_of.get(c.parent_id, f"#{c.parent_id}") if c.parent_id else None,
            c.max_points,
        )
        for c in criteria
    ]
    errors_of: dict[str | None, list[str]] = {}
    for error in rules.tree_errors(nodes, total=total):
        match = re.match(r"Tiêu chí (\S+): ", error)
        key = match.group(1) if match and match.group(1) in set(code_of.values()) else None
        errors_of.setdefault(key, []).append(error)
    children: dict[int | None, list] = {}
    for c in criteria:
        parent = c.parent_id if c.parent_id in by_id else None
        children.setdefault(parent, []).append(c)
    rows, seen = [], set()

    def walk(parent_id, depth):
        for child in sorted(children.get(parent_id, []), key=lambda c: (c.position, c.code)):
            if child.pk in seen:
                continue
            seen.add(child.pk)
            rows.append(
                {
                    "criterion": child,
                    "depth": depth,
                    "max": rules.format_score(child.max_points),
                    "errors": errors_of.get(child.code, []),
                }
            )
            walk(child.pk, depth + 1)

    walk(None, 0)
    for c in criteria:  # criteria caught in a cycle: listed at the end, unindented
        if c.pk not in seen:
            seen.add(c.pk)
            rows.append(
                {
                    "criterion": c,
                    "depth": 0,
                    "max": rules.format_score(c.max_points),
                    "errors": errors_of.get(c.code, []),
                }
            )
    return rows, errors_of.get(None, [])


_YEAR = re.compile(r"(19|20)\d{2}")


def next_year(text: str) -> str:
    """The text with its last year bumped ("HD-2022" → "HD-2023"); unchanged without one."""
    matches = list(_YEAR.finditer(text))
    if not matches:
        return text
    last = matches[-1]
    return f"{text[:last.start()]}{int(last.group()) + 1}{text[last.end():]}"


class CloneForm(forms.Form):
    code = forms.CharField(label=_("Mã bộ tiêu chí mới"), max_length=40)
    name = forms.CharField(label=_("Tên bộ tiêu chí mới"), max_length=300)

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if CriteriaSet.objects.filter(code=code).exists():
            raise ValidationError(
                _("Mã bộ tiêu chí %(code)s đã tồn tại; hãy chọn mã khác.") % {"code": code}
            )
        return code


@admin.register(CriteriaSet)
class CriteriaSetAdmin(ScoringAdmin):
    list_display = (
        "code",
        "name",
        "issued_by",
        "total_display",
        "criteria_count",
        "derived_from",
        "state",
    )
    list_display_links = ("code", "name")
    list_select_related = ("issued_by", "derived_from")
    list_filter = (("issued_by", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("code", "name", "legal_basis")
    search_help_text = _("Tìm theo mã, tên hoặc căn cứ pháp lý.")
    autocomplete_fields = ("issued_by",)
    fields = (
        "code",
        "name",
        "legal_basis",
        "issued_by",
        "total_points",
        "derived_from_link",
        "created_at_display",
        "criteria_tree",
    )
    readonly_fields = ("derived_from_link", "created_at_display", "criteria_tree")
    decimal_fields = ("total_points",)
    actions = ("clone_for_next_year",)

    def get_queryset(self, request):
        published = Period.objects.filter(
            criteria_set=OuterRef("pk"), status=Period.Status.PUBLISHED
        )
        return (
            super()
            .get_queryset(request)
            .select_related("issued_by", "derived_from")
            .annotate(n_criteria=Count("criteria"), locked=Exists(published))
        )

    def locked_reason(self, request, obj) -> str:
        return set_locked_reason(request, obj.pk)

    total_display = column(rules.format_score, "total_points", _("tổng điểm tối đa"))

    total_points_display = total_display

    @admin.display(description=_("số tiêu chí"), ordering="n_criteria")
    def criteria_count(self, obj):
        url = (
            reverse("admin:scoring_criterion_changelist")
            + "?"
            + urlencode({"criteria_set__id__exact": obj.pk})
        )
        return format_html('<a href="{}">{}</a>', url, obj.n_criteria)

    @admin.display(description=_("tình trạng"))
    def state(self, obj):
        return _("Đã khóa (kỳ đã công bố)") if obj.locked else ""

    @admin.display(description=_("sao chép từ bộ"))
    def derived_from_link(self, obj):
        if obj.derived_from_id is None:
            return "—"
        url = reverse("admin:scoring_criteriaset_change", args=[obj.derived_from_id])
        return format_html('<a href="{}">{}</a>', url, obj.derived_from)

    created_at_display = column(format_datetime, "created_at", _("ngày tạo"))

    @admin.display(description=_("cây tiêu chí"))
    def criteria_tree(self, obj):
        if obj is None or obj.pk is None:
            return _("Lưu bộ tiêu chí rồi nhập tiêu chí từ tệp hoặc thêm từng tiêu chí.")
        criteria = list(obj.criteria.all())
        rows, set_errors = criteria_tree(criteria, total=obj.total_points)
        return render_to_string(
            "admin/scoring/criteriaset/_tree.html",
            {
                "rows": rows,
                "set_errors": set_errors,
                "total": rules.format_score(obj.total_points),
                "change_url": reverse("admin:scoring_criterion_changelist"),
            },
        )

    def object_tools(self, request, obj):
        tools = [
            (reverse("admin:scoring_criteriaset_clone", args=[obj.pk]), _("Sao chép cho năm sau"))
        ]
        query = urlencode({"criteria_set__id__exact": obj.pk})
        tools.append(
            (reverse("admin:scoring_criterion_export") + "?" + query, _("Xuất tiêu chí ra tệp"))
        )
        return tools

    def get_urls(self):
        clone = self.admin_site.admin_view(self.clone_view)
        return [
            path("<path:object_id>/clone/", clone, name="scoring_criteriaset_clone"),
            *super().get_urls(),
        ]

    @admin.action(description=_("Sao chép bộ tiêu chí cho năm sau"), permissions=["add"])
    def clone_for_next_year(self, request, queryset):
        chosen = list(queryset.values_list("pk", flat=True)[:2])
        if len(chosen) != 1:
            self.message_user(
                request, _("Hãy chọn đúng một bộ tiêu chí để sao chép."), messages.WARNING
            )
            return None
        return redirect("admin:scoring_criteriaset_clone", chosen[0])

    def clone_view(self, request, object_id):
        """Ask the new code and name, then copy the tree (setup.clone_criteria_set)."""
        source = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not (self.has_add_permission(request) and self.has_view_permission(request, source)):
            raise PermissionDenied
        code = next_year(source.code)
        if code == source.code or CriteriaSet.objects.filter(code=code).exists():
            code = f"{source.code}-copy"
        form = CloneForm(
            request.POST or None, initial={"code": code, "name": next_year(source.name)}
        )
        if request.method == "POST" and form.is_valid():
            try:
                copy = setup.clone_criteria_set(
                    source, code=form.cleaned_data["code"], name=form.cleaned_data["name"]
                )
            except setup.SetupError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                self.log_addition(request, copy, f"Sao chép từ bộ tiêu chí {source.code}")
                self.message_user(
                    request,
                    _("Đã sao chép bộ tiêu chí %(old)s thành %(new)s (%(n)d tiêu chí).")
                    % {"old": source.code, "new": copy.code, "n": source.n_criteria},
                    messages.SUCCESS,
                )
                return redirect("admin:scoring_criteriaset_change", copy.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Sao chép bộ tiêu chí %(code)s") % {"code": source.code},
            "source": source,
            "form": form,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/cchc/clone_criteria_set.html", context)


# --- criteria -----------------------------------------------------------------------------


class CriterionForm(forms.ModelForm):
    applies_to = forms.MultipleChoiceField(
        label=_("Áp dụng cho loại đơn vị"),
        choices=[
            (k.value, k.label) for k in Kind if k.value in ("xa", "phuong", "thi_tran", "dac_khu")
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Để trống: áp dụng cho mọi loại đơn vị."),
    )

    class Meta:
        model = Criterion
        fields = "__all__"

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_criteria_set(self):
        criteria_set = self.cleaned_data["criteria_set"]
        if criteria_set is not None and self.request is not None:
            reason = set_locked_reason(self.request, criteria_set.pk)
            if reason:
                raise ValidationError(
                    _("Không thêm được tiêu chí: %(reason)s") % {"reason": reason}
                )
        return criteria_set


class CriteriaImportForm(FileImportForm):
    code = forms.CharField(label=_("Mã bộ tiêu chí"), max_length=40)
    name = forms.CharField(label=_("Tên bộ tiêu chí"), max_length=300)
    legal_basis = forms.CharField(
        label=_("Căn cứ pháp lý"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Ví dụ: Quyết định số 3395/QĐ-UBND ngày 15/12/2022 của UBND tỉnh Hải Dương."),
    )
    total = DecimalInput(
        label=_("Tổng điểm tối đa"),
        initial=Decimal(100),
        help_text=_("Tổng điểm tối đa các lĩnh vực (thường là 100)."),
    )
    previous = forms.CharField(
        label=_("Mã bộ tiêu chí năm trước"),
        max_length=40,
        required=False,
        help_text=_("Bộ tiêu chí mà cột previous_code tham chiếu (để so sánh với năm trước)."),
    )


@admin.register(Criterion)
class CriterionAdmin(ImportFromFileMixin, ExportMixin, ScoringAdmin):
    form = CriterionForm
    list_display = (
        "code",
        "short_name",
        "criteria_set_code",
        "parent_code",
        "max_display",
        "method",
        "evidence_required",
    )
    list_display_links = ("code", "short_name")
    list_select_related = ("criteria_set", "parent")
    list_filter = ("criteria_set", "method", "evidence_required", "depth")
    search_fields = ("code", "name")
    search_help_text = _("Tìm theo mã hoặc tên tiêu chí.")
    ordering = ("criteria_set", "position")
    autocomplete_fields = ("criteria_set", "parent", "previous")
    fields = (
        "criteria_set",
        "parent",
        "code",
        "position",
        "name",
        "max_points",
        "method",
        "evidence_required",
        "guidance",
        "applies_to",
        "na_policy",
        "previous",
        "depth",
    )
    readonly_fields = ("depth",)
    decimal_fields = ("max_points",)
    list_per_page = 100
    resource_classes = [CriterionResource]
    export_basename = import_basename = "tieu-chi"
    import_form_class = CriteriaImportForm
    import_columns = (setup.CRITERIA_COLUMNS, setup.CRITERIA_OPTIONAL)
    import_help = _(
        "Một tệp là một bộ tiêu chí. Cột method: self_assessed (tự đánh giá), survey (điều tra xã "
        "hội học), sipas, computed (tính từ hệ thống). Điểm dùng dấu phẩy hoặc dấu chấm thập phân. "
        "Tổng điểm các tiêu chí con phải bằng điểm tiêu chí cha. Nếu mã bộ tiêu chí đã có và "
        "chưa kỳ đánh giá nào dùng, cây tiêu chí của bộ đó được thay bằng nội dung tệp."
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("criteria_set", "parent")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class RequestForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return RequestForm

    def locked_reason(self, request, obj) -> str:
        return set_locked_reason(request, obj.criteria_set_id)

    @admin.display(description=_("tên tiêu chí"), ordering="name")
    def short_name(self, obj):
        return obj.name if len(obj.name) <= 90 else obj.name[:88] + "…"

    @admin.display(description=_("bộ tiêu chí"), ordering="criteria_set__code")
    def criteria_set_code(self, obj):
        return obj.criteria_set.code

    @admin.display(description=_("tiêu chí cha"), ordering="parent__code")
    def parent_code(self, obj):
        return obj.parent.code if obj.parent_id else ""

    max_display = column(rules.format_score, "max_points", _("điểm tối đa"))

    max_points_display = max_display

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        setup.refresh_tree(obj.criteria_set_id)

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).order_by("criteria_set", "position", "code")

    def export_action(self, request):
        # One file is one set (docs/design.md §6): refuse to mix the trees of several sets.
        if not self.has_export_permission(request):
            raise PermissionDenied
        if self.get_export_queryset(request).values("criteria_set").distinct().count() > 1:
            self.message_user(
                request,
                _("Hãy lọc theo một bộ tiêu chí (cột bên phải) trước khi xuất tệp."),
                messages.ERROR,
            )
            return redirect("admin:scoring_criterion_changelist")
        return super().export_action(request)

    def run_import(self, table, data, *, by, on_checked=None) -> Imported:
        criteria_set = setup.import_criteria(
            table,
            code=data["code"],
            name=data["name"],
            legal_basis=data["legal_basis"],
            total=data["total"],
            previous=data.get("previous", ""),
            by=by,
            on_checked=on_checked,
        )
        message = _("Đã nhập bộ tiêu chí %(code)s (%(n)d tiêu chí).") % {
            "code": criteria_set.code,
            "n": len(table.rows),
        }
        return Imported(
            message, url=reverse("admin:scoring_criteriaset_change", args=[criteria_set.pk])
        )
