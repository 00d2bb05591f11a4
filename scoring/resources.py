"""Export resource (django-import-export) for criteria, in the ◆ columns of docs/design.md §6.

code,parent_code,name,max_points,method,evidence_required,guidance, then the two optional
columns import_criteria also reads (applies_to, na_policy): the import's own column lists, so
an exported set imports back whole (as a new set, or into a set no period uses yet).
"""

from import_export import fields, resources, widgets

from . import rules
from .models import Criterion
from .services import setup


class PlainDecimalWidget(widgets.Widget):
    """ "." decimals without trailing zeros in CSV ("2", "1.5", "0.25"), whatever the locale;
    real numbers in XLSX."""

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        if kwargs.get("force_native_type"):
            return value
        return rules.format_score(value).replace(",", ".")


class FlagWidget(widgets.Widget):
    """1 / 0, as the import reads it."""

    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type"):
            return 1 if value else 0
        return "1" if value else "0"


class KindsWidget(widgets.Widget):
    """The unit kinds a criterion applies to, "xa|phuong" (empty: every kind)."""

    def render(self, value, obj=None, **kwargs):
        return "|".join(value or [])


class CriterionResource(resources.ModelResource):
    code = fields.Field(attribute="code", column_name="code")
    parent_code = fields.Field(attribute="parent__code", column_name="parent_code")
    name = fields.Field(attribute="name", column_name="name")
    max_points = fields.Field(
        attribute="max_points", column_name="max_points", widget=PlainDecimalWidget()
    )
    method = fields.Field(attribute="method", column_name="method")
    evidence_required = fields.Field(
        attribute="evidence_required", column_name="evidence_required", widget=FlagWidget()
    )
    guidance = fields.Field(attribute="guidance", column_name="guidance")
    applies_to = fields.Field(
        attribute="applies_to", column_name="applies_to", widget=KindsWidget()
    )
    na_policy = fields.Field(attribute="na_policy", column_name="na_policy")
    previous_code = fields.Field(attribute="previous__code", column_name="previous_code")

    class Meta:
        model = Criterion
        fields = (*setup.CRITERIA_COLUMNS, *setup.CRITERIA_OPTIONAL)
