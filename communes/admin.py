"""Admin for units, lineage and memberships, plus the pieces every cchc admin page shares.

Shared here (scoring and evidence admins import them; dependencies point down):
- LockableAdminMixin: an object that a published period froze is view-only, with the reason
  printed at the top of its page (issue 6: published data is immutable, admin included).
  ReadOnlyAdminMixin and ReadOnlyInline: pages and inlines nobody ever edits.
- ImportFromFileMixin: the "Nhập từ tệp" page of a changelist; it reads the file with
  tabular.read_table and hands the table to the same service as the management command, so
  the admin validates exactly like `manage.py import_*` and saves nothing on any error.
- ExportMixin: django-import-export's export in Vietnamese, CSV or XLSX, with the ◆ columns
  of docs/design.md §6 so that an exported file imports back.

Every changelist and change page runs a bounded number of queries whatever the row count:
related objects are joined (list_select_related, get_queryset) and foreign keys to big tables
use autocomplete widgets instead of <select>s listing every unit or user.
"""

from types import SimpleNamespace

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from import_export import admin as import_export_admin
from import_export.forms import ExportForm

from jobs.imports import runs_as_job, start_import
from tabular import ImportFailed, Row, formats, read_table
from tabular.blank import blank_file, columns_help
from tabular.web import PREVIEW_ROWS, Imported, held, hold, preview, release

from . import services, successions
from .dates import format_date
from .models import LEVEL_OF_KIND, Commune, District, Kind, Membership, Province, Succession, Unit
from .resources import SuccessionResource, UnitResource, UserResource
from .tasks import import_admin_file

User = get_user_model()


def format_datetime(value) -> str:
    """dd/mm/yyyy hh:mm in the site's time zone."""
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def column(render, attribute: str, description, *, sortable: bool = True):
    """An admin column (list or view-only page) showing `render(obj.<attribute>)`, e.g.
    `opens_on_display = column(format_date, "opens_on", _("ngày bắt đầu"))`; lists sort it
    by the attribute unless `sortable` is False."""

    @admin.display(description=description, ordering=attribute if sortable else None)
    def show(self, obj):
        return render(getattr(obj, attribute))

    return show


class NamedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete with a placeholder "chọn <field>": select2's box is named by the
    text it shows, so an empty one had no name for a screen reader (axe, issue 14)."""

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-placeholder"] = _("Chọn %(field)s") % {"field": self.field.verbose_name}
        return attrs


class AccessibleFieldsMixin:
    """For every cchc admin page and inline: autocompletes with a name (NamedAutocompleteSelect)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = NamedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TabularInline(AccessibleFieldsMixin, admin.TabularInline):
    """A table of rows whose fields have their column header, not a <label>: each field, and
    the row's delete box, carries its label as aria-label (axe: no unnamed field, issue 14)."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                for field in form.fields.values():
                    # The form's own copy of the widget: a related-object wrapper's `attrs` is
                    # the dict of the widget it was copied from (shared by every form).
                    widget = getattr(field.widget, "widget", field.widget)
                    if field.label and not widget.is_hidden:
                        widget.attrs.setdefault("aria-label", str(field.label).capitalize())

        return LabelledFormSet


class ModelAdmin(AccessibleFieldsMixin, admin.ModelAdmin):
    """The cchc default: no facet counts beside the filters (one more COUNT per filter choice,
    and a toggle Django does not translate); autocompletes with a name."""

    show_facets = admin.ShowFacets.NEVER


# --- read-only objects --------------------------------------------------------------------


class LockableAdminMixin:
    """Objects for which `locked_reason` returns a text are view-only, and the page says why.

    Django then shows the change page without inputs and answers 403 to a POST, and the
    delete page and the "delete selected" action refuse the object too.
    """

    change_form_template = "admin/cchc/change_form.html"

    def locked_reason(self, request, obj) -> str:
        return ""

    def _locked_reason(self, request, obj) -> str:
        # Django asks several times per page for the same object: compute once.
        if obj is None:
            return ""
        if not hasattr(obj, "_cchc_locked_reason"):
            obj._cchc_locked_reason = self.locked_reason(request, obj)
        return obj._cchc_locked_reason

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._locked_reason(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._locked_reason(request, obj)

    def object_tools(self, request, obj) -> list[tuple[str, str]]:
        """Extra buttons on the change page: (url, label)."""
        return []

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["readonly_note"] = self._locked_reason(request, obj)
        context["extra_object_tools"] = self.object_tools(request, obj) if obj is not None else []
        return super().render_change_form(request, context, add, change, form_url, obj)


class NoEditMixin:
    """Never added, changed or deleted through the admin, by anyone (superusers included)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin(NoEditMixin, LockableAdminMixin):
    """Never added, changed or deleted through the admin (NoEditMixin); every page says why
    (`readonly_reason`)."""

    readonly_reason = ""

    def locked_reason(self, request, obj) -> str:
        return self.readonly_reason


class ReadOnlyInline(NoEditMixin, TabularInline):
    """Rows listed on their parent's page for reading only."""

    extra = 0
    can_delete = False


# --- import from a file -------------------------------------------------------------------


class FileImportForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp dữ liệu"),
        help_text=_("CSV (UTF-8, dấu phẩy hoặc chấm phẩy) hoặc Excel .xlsx."),
    )


class ImportFromFileMixin:
    """A "Nhập từ tệp" page beside the changelist, running the import service of the model.

    Subclasses set `import_columns` (required, optional) and implement `run_import`, which
    calls the service and returns a tabular.web.Imported (the message, warnings, the page to
    go to). Every RowError becomes one error message; the service saved nothing.

    The page previews the file's first rows first when asked ("Xem trước", issue 14: the file
    is held in the session until "Nhập"); a file over IMPORT_JOB_KB is imported by a job
    (jobs/imports.py, the task communes.tasks.import_admin_file) and the page goes to the
    job's progress page, which ends with the same summary or the same row errors.
    """

    import_form_class = FileImportForm
    import_columns: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    import_template = "admin/cchc/import.html"
    import_help = ""
    # The blank template's file name: mau-<import_basename>.csv|xlsx (issue 14).
    import_basename = "nhap"

    def run_import(self, table, data, *, by, on_checked=None) -> Imported:
        """Import `table` with the form's other fields `data` for the user `by` (in the request
        or in a job: no request here); `on_checked` goes to the service."""
        raise NotImplementedError

    def import_help_lines(self) -> list[str]:
        """The blank template's help rows (the importer skips them): the columns, then
        `import_help`."""
        required, optional = self.import_columns
        return [*columns_help(required, optional), *([str(self.import_help)] if self.import_help else [])]

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_import"
        view = self.admin_site.admin_view(self.import_view)
        template = self.admin_site.admin_view(self.import_template_view)
        return [
            path("import/", view, name=name),
            path("import/template.<str:extension>", template, name=f"{name}_template"),
            *super().get_urls(),
        ]

    def import_template_view(self, request, extension):
        """The import's blank template, CSV or XLSX: the ◆ header and Vietnamese help rows."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        if extension not in ("csv", "xlsx"):
            raise Http404
        required, optional = self.import_columns
        body, kind = blank_file(
            extension, required + optional, self.import_help_lines(), title=str(self.opts.verbose_name_plural)
        )
        response = HttpResponse(body, content_type=kind)
        response["Content-Disposition"] = f'attachment; filename="mau-{self.import_basename}.{extension}"'
        return response

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_import_permission": self.has_import_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def import_form(self, data=None, files=None, *, file_held: bool = False):
        """The page's form; with a held (previewed) file the file field may stay empty."""
        form = self.import_form_class(data, files)
        if file_held:
            form.fields["file"].required = False
        return form

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        action = request.POST.get("action", "import")
        held_key = f"import-file-{self.opts.label_lower}"
        held_file = held(request.session, held_key) if action == "import_previewed" else None
        form = self.import_form(
            request.POST or None, request.FILES or None, file_held=held_file is not None
        )
        required, optional = self.import_columns
        page = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
        preview_ = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"] or held_file
            data = {name: value for name, value in form.cleaned_data.items() if name != "file"}
            try:
                if action == "preview":
                    preview_ = preview(upload, required=required, optional=optional)
                    hold(request.session, held_key, upload)
                elif runs_as_job(upload):
                    # The other fields as posted: the task's form reads them again.
                    fields = {
                        name: request.POST.get(name, "") for name in form.fields if name != "file"
                    }
                    job = start_import(
                        import_admin_file,
                        upload,
                        title=f"Nhập {self.opts.verbose_name_plural} từ tệp “{upload.name}”",
                        by=request.user,
                        back_url=page,
                        args=(self.opts.label, fields, request.user.pk),
                    )
                    release(request.session, held_key)
                    return redirect("jobs:job", job.pk)
                else:
                    table = read_table(upload, upload.name, required=required, optional=optional)
                    imported = self.run_import(table, data, by=request.user)
                    release(request.session, held_key)
                    for warning in imported.warnings:
                        messages.warning(request, warning)
                    messages.success(request, imported.message)
                    return redirect(
                        imported.url
                        or reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
                    )
            except ImportFailed as failed:
                messages.error(request, failed.headline())
                for line in failed.lines():  # the first 200, then how many more
                    messages.error(request, line)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Nhập %(name)s từ tệp") % {"name": self.opts.verbose_name_plural},
            "form": form,
            "preview": preview_,
            "preview_rows": PREVIEW_ROWS,
            "required_columns": required,
            "optional_columns": optional,
            "columns": (*required, *optional),
            "import_help": self.import_help,
            "template_url": f"admin:{self.opts.app_label}_{self.opts.model_name}_import_template",
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.import_template, context)


# --- export to a file ---------------------------------------------------------------------


class VietnameseExportForm(ExportForm):
    LABELS = {"csv": _("CSV (UTF-8)"), "xlsx": _("Excel (.xlsx)")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["format"].label = _("Định dạng tệp")
        self.fields["format"].choices = [
            (value, self.LABELS.get(label, label))
            for value, label in self.fields["format"].choices
            if value
        ]
        self.fields["format"].initial = "0"


class ExportMixin(import_export_admin.ExportMixin):
    """Export the rows of the (filtered) changelist as CSV or XLSX, every column kept.

    The column set is the import file's (docs/design.md §6), so no column picker: an export
    always imports back. CSV gets a BOM so that Excel opens Vietnamese text correctly.
    """

    # tabular.formats: import-export's CSV and XLSX with formula-like text kept as text.
    export_formats = [formats.CSV, formats.XLSX]
    export_form_class = VietnameseExportForm
    export_template_name = "admin/cchc/export.html"
    import_export_change_list_template = "admin/cchc/change_list.html"
    to_encoding = "utf-8-sig"
    export_basename = "du-lieu"

    def has_export_permission(self, request):
        # import-export lets any staff user export by default; only those who may view may.
        return self.has_view_permission(request)

    def get_export_filename(self, request, queryset, file_format):
        return (
            f"{self.export_basename}-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"
        )

    def init_request_context_data(self, request, form):
        context = super().init_request_context_data(request, form)
        context["title"] = _("Xuất %(name)s ra tệp") % {"name": self.opts.verbose_name_plural}
        context["columns"] = [
            field.column_name
            for field in self.get_export_resource_classes(request)[0]().get_user_visible_fields()
        ]
        return context


# --- units --------------------------------------------------------------------------------


class MembershipListInline(TabularInline):
    """The memberships a user or unit has, read-only: revoke one by deleting it, change a role
    by adding the new membership (a membership is only the triple user, unit, role)."""

    model = Membership
    extra = 0
    verbose_name = _("phân quyền hiện có")
    verbose_name_plural = _("phân quyền hiện có")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "unit")


class MembershipAddInline(TabularInline):
    """Empty rows to add memberships (an autocomplete, never a <select> of every unit)."""

    model = Membership
    extra = 1
    verbose_name = _("phân quyền mới")
    verbose_name_plural = _("thêm phân quyền")

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class UnitMembershipListInline(MembershipListInline):
    fk_name = "unit"
    fields = readonly_fields = ("user", "role")


class UnitMembershipAddInline(MembershipAddInline):
    fk_name = "unit"
    fields = ("user", "role")
    autocomplete_fields = ("user",)


class UserMembershipListInline(MembershipListInline):
    fk_name = "user"
    fields = readonly_fields = ("unit", "role")


class UserMembershipAddInline(MembershipAddInline):
    fk_name = "user"
    fields = ("unit", "role")
    autocomplete_fields = ("unit",)


class ActiveFilter(admin.SimpleListFilter):
    title = _("tình trạng")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Đang hoạt động")), ("no", _("Đã giải thể, sáp nhập"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(active_to__isnull=True)
        if self.value() == "no":
            return queryset.filter(active_to__isnull=False)
        return queryset


def unit_link(unit) -> str:
    """A unit's name and code, linking to its admin page."""
    url = reverse("admin:communes_unit_change", args=[unit.pk])
    return format_html('<a href="{}">{} ({})</a>', url, unit.name, unit.code)


class LineageInline(ReadOnlyInline):
    """A unit's predecessors or successors with the date, each linking to its page; the
    lineage itself is loaded with import_successions (or the Succession pages)."""

    model = Succession
    other = ""  # "predecessor" or "successor": the unit shown on each row
    ordering = ("effective_date",)

    def get_queryset(self, request):
        # Both ends: the row's title prints the succession ("A → B (01/07/2025)").
        return super().get_queryset(request).select_related("predecessor", "successor")

    @admin.display(description=_("đơn vị"))
    def other_unit(self, obj):
        return unit_link(getattr(obj, self.other))

    @admin.display(description=_("thời gian hoạt động"))
    def other_dates(self, obj):
        unit = getattr(obj, self.other)
        return f"{format_date(unit.active_from) or '…'} – {format_date(unit.active_to) or '…'}"

    effective_date_display = column(format_date, "effective_date", _("ngày hiệu lực"))
    fields = readonly_fields = ("other_unit", "other_dates", "effective_date_display")


class PredecessorInline(LineageInline):
    fk_name = "successor"
    other = "predecessor"
    verbose_name = _("đơn vị tiền thân")
    verbose_name_plural = _("hình thành từ (đơn vị tiền thân)")


class SuccessorInline(LineageInline):
    fk_name = "predecessor"
    other = "successor"
    verbose_name = _("đơn vị kế thừa")
    verbose_name_plural = _("sáp nhập, chuyển thành (đơn vị kế thừa)")


class UnitForm(forms.ModelForm):
    """New dates or a new kind of a unit in the lineage must keep it true, as import_units
    requires."""

    def clean(self):
        cleaned = super().clean()
        stored = self.instance
        dates = (cleaned.get("active_from"), cleaned.get("active_to"))
        kind = cleaned.get("kind") or stored.kind
        level = LEVEL_OF_KIND.get(kind, stored.level)
        changed = dates != (stored.active_from, stored.active_to) or level != stored.level
        if stored.pk and not self.errors and changed:
            line = SimpleNamespace(
                row=Row(0, {}),
                code=stored.code,
                name=cleaned.get("name") or stored.name,
                level=level,
                active_from=dates[0],
                active_to=dates[1],
            )
            for error in successions.lineage_errors({stored.code: line}, {stored.code: level}):
                self.add_error(error.column, error.message)
        return cleaned


@admin.register(Unit)
class UnitAdmin(ImportFromFileMixin, ExportMixin, ModelAdmin):
    form = UnitForm
    list_display = ("code", "name", "kind", "parent", "active_from_display", "active_to_display")
    list_display_links = ("code", "name")
    list_filter = ("level", "kind", ActiveFilter)
    list_select_related = ("parent",)
    search_fields = ("code", "name", "parent__code", "parent__name")
    search_help_text = _("Tìm theo mã hoặc tên đơn vị, hoặc mã, tên đơn vị cấp trên.")
    autocomplete_fields = ("parent",)
    readonly_fields = ("level",)
    fields = ("code", "name", "kind", "level", "parent", "active_from", "active_to")
    inlines = (
        PredecessorInline,
        SuccessorInline,
        UnitMembershipListInline,
        UnitMembershipAddInline,
    )
    list_per_page = 50
    resource_classes = [UnitResource]
    export_basename = import_basename = "don-vi"
    import_columns = (services.UNIT_COLUMNS, services.UNIT_DATES)
    import_help = _(
        "Đơn vị cấp trên có thể nằm ở dòng sau trong cùng tệp hoặc đã có sẵn. Cột kind là "
        "mã loại (xa, phuong, thi_tran, huyen, ...) hoặc tên loại (“Xã”, “Thị trấn”, “Huyện”). "
        "Cột active_from, active_to (không bắt buộc): ngày bắt đầu và ngày thôi hoạt động, "
        "dd/mm/yyyy; để trống là không giới hạn."
    )
    # The kinds offered on this page: a proxy (Province, District, Commune) narrows them.
    levels: tuple[str, ...] = ()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")

    active_from_display = column(format_date, "active_from", _("hiệu lực từ ngày"))
    active_to_display = column(format_date, "active_to", _("hết hiệu lực từ ngày"))

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "kind" and self.levels:
            kwargs["choices"] = [
                (kind.value, kind.label) for kind in Kind if LEVEL_OF_KIND[kind] in self.levels
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def run_import(self, table, data, *, by, on_checked=None) -> Imported:
        counts = services.import_units(table, by=by, on_checked=on_checked)
        return Imported(
            _(
                "Đã nhập tệp đơn vị hành chính: thêm mới %(created)d, cập nhật %(updated)d, "
                "không đổi %(unchanged)d."
            )
            % counts
        )


@admin.register(Province)
class ProvinceAdmin(UnitAdmin):
    list_display = ("code", "name", "kind", "active_from_display", "active_to_display")
    list_filter = ("kind", ActiveFilter)
    levels = ("province",)


@admin.register(District)
class DistrictAdmin(UnitAdmin):
    list_filter = ("kind", ActiveFilter)
    levels = ("district",)


@admin.register(Commune)
class CommuneAdmin(UnitAdmin):
    list_filter = ("kind", ActiveFilter)
    levels = ("commune",)


class SuccessionForm(forms.ModelForm):
    """A pair entered by hand obeys the rules of import_successions (communes/successions.py)."""

    class Meta:
        model = Succession
        fields = ("predecessor", "successor", "effective_date")
        widgets = {"effective_date": AdminDateWidget(format="%d/%m/%Y")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_date"].input_formats = ["%d/%m/%Y"]
        self.fields["effective_date"].help_text = _("Ngày/tháng/năm, ví dụ 01/07/2025.")

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            pair = Succession(
                pk=self.instance.pk,
                predecessor=cleaned["predecessor"],
                successor=cleaned["successor"],
                effective_date=cleaned["effective_date"],
            )
            for field, messages_ in successions.succession_problems(pair).items():
                for message in messages_:
                    self.add_error(field, message)
        return cleaned


@admin.register(Succession)
class SuccessionAdmin(ImportFromFileMixin, ExportMixin, ModelAdmin):
    form = SuccessionForm
    list_display = ("predecessor", "successor", "effective_date_display")
    list_select_related = ("predecessor", "successor")
    search_fields = ("predecessor__code", "predecessor__name", "successor__code", "successor__name")
    search_help_text = _("Tìm theo mã hoặc tên đơn vị cũ, đơn vị mới.")
    list_filter = ("effective_date",)
    autocomplete_fields = ("predecessor", "successor")
    resource_classes = [SuccessionResource]
    export_basename = import_basename = "ke-thua"
    import_columns = (successions.SUCCESSION_COLUMNS, ())
    import_help = _(
        "Mỗi dòng là một cặp đơn vị cũ → đơn vị mới (xã mới hình thành từ ba xã cũ có ba dòng); "
        "effective_date là ngày hiệu lực, dd/mm/yyyy, đơn vị mới phải đang hoạt động vào ngày "
        "đó. Nhập lại cùng tệp không thay đổi gì."
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("predecessor", "successor")

    def run_import(self, table, data, *, by, on_checked=None) -> Imported:
        counts = successions.import_successions(table, by=by, on_checked=on_checked)
        return Imported(
            _(
                "Đã nhập tệp kế thừa: thêm mới %(created)d, sửa ngày %(updated)d, "
                "không đổi %(unchanged)d."
            )
            % counts
        )

    effective_date_display = column(format_date, "effective_date", _("ngày hiệu lực"))


# --- users and memberships ----------------------------------------------------------------


class UsersExportMixin(ImportFromFileMixin, ExportMixin):
    """Users travel as one row per membership: username,full_name,email,unit_code,role."""

    resource_classes = [UserResource]
    export_basename = import_basename = "nguoi-dung"
    import_columns = (services.USER_COLUMNS, services.USER_OPTIONAL)
    import_help = _(
        "Mỗi dòng là một phân quyền; một người có nhiều vai trò thì có nhiều dòng. Cột role: "
        "commune_officer (công chức cấp xã), appraiser (thành viên tổ thẩm định), leader "
        "(lãnh đạo). Cột password không bắt buộc."
    )

    def run_import(self, table, data, *, by, on_checked=None) -> Imported:
        counts = services.import_users(table, by=by, on_checked=on_checked)
        warnings = []
        if counts["without_password"]:
            warnings.append(
                _(
                    "Các tài khoản chưa có mật khẩu, cần đặt mật khẩu trước khi đăng nhập: %(names)s."
                )
                % {"names": ", ".join(counts["without_password"])}
            )
        return Imported(
            _(
                "Đã nhập tệp người dùng: tạo %(created)d tài khoản, cập nhật %(updated)d, "
                "thêm %(memberships)d phân quyền."
            )
            % counts,
            warnings,
        )

    def export_memberships(self, users):
        return (
            Membership.objects.filter(user__in=users.values("pk"))
            .select_related("user", "unit")
            .order_by("user__username", "unit__code", "role")
        )


@admin.register(Membership)
class MembershipAdmin(UsersExportMixin, ModelAdmin):
    list_display = ("user", "full_name", "unit", "role")
    list_select_related = ("user", "unit")
    list_filter = ("role", "unit__level")
    search_fields = (
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        "unit__code",
        "unit__name",
    )
    search_help_text = _("Tìm theo tên đăng nhập, họ tên, email, mã hoặc tên đơn vị.")
    autocomplete_fields = ("user", "unit")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "unit")

    @admin.display(description=_("họ và tên"), ordering="user__first_name")
    def full_name(self, obj):
        return obj.user.get_full_name()

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).order_by("user__username", "unit__code", "role")


admin.site.unregister(User)


class UserChangeList(ChangeList):
    """The users' list reads every listed user's memberships, with their units, in one query
    (the "vai trò" column); the change page reads them in its inline instead."""

    def get_queryset(self, request, exclude_parameters=None):
        memberships = Membership.objects.select_related("unit").order_by("unit__code")
        return (
            super()
            .get_queryset(request, exclude_parameters)
            .prefetch_related(Prefetch("memberships", memberships))
        )


class PasswordChangeForm(AdminPasswordChangeForm):
    """Django's, with its warning in Vietnamese: Django adds it to the help as English text
    outside its catalog."""

    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("Nếu tắt, mật khẩu hiện tại của người dùng này sẽ mất."),
    )


@admin.register(User)
class CchcUserAdmin(UsersExportMixin, AccessibleFieldsMixin, UserAdmin):
    """Django's user admin, with the user's memberships (roles on units) on the same page.
    What a person may do comes from memberships (scoring/permissions.py): no groups and
    per-user permissions on the page (Django's picker of 100 permission names in English).
    The sign-in dates are read-only (the date and time boxes had no label; nobody sets them
    by hand); the password page says in Vietnamese what turning passwords off does."""

    list_display = ("username", "full_name", "email", "roles", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "memberships__role")
    show_facets = admin.ShowFacets.NEVER
    inlines = (UserMembershipListInline, UserMembershipAddInline)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    change_password_form = PasswordChangeForm

    def get_changelist(self, request, **kwargs):
        return UserChangeList

    @admin.display(description=_("họ và tên"), ordering="first_name")
    def full_name(self, obj):
        return obj.get_full_name()

    @admin.display(description=_("vai trò"))
    def roles(self, obj):
        return "; ".join(f"{m.get_role_display()} – {m.unit.name}" for m in obj.memberships.all())

    def get_export_queryset(self, request):
        return self.export_memberships(super().get_export_queryset(request))

    def get_inline_instances(self, request, obj=None):
        # The add page is Django's two-step user creation: memberships come after.
        return super().get_inline_instances(request, obj) if obj is not None else []
