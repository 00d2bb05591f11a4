"""Export resources (django-import-export) for units and users, in the ◆ columns of docs/design.md §6.

They only export: the admin imports through tabular.read_table and the services that the
management commands use, so a file is validated the same way wherever it comes in. An
exported file therefore has exactly the columns the import expects and imports back.
"""

from import_export import fields, resources

from . import services, successions
from .dates import format_date
from .models import Membership, Succession, Unit


class DateField(fields.Field):
    """A date as the imports read it: dd/mm/yyyy, empty when open."""

    def get_value(self, obj):
        return format_date(super().get_value(obj))


class UnitResource(resources.ModelResource):
    """code,name,kind,parent_code,active_from,active_to (import_units)."""

    code = fields.Field(attribute="code", column_name="code")
    name = fields.Field(attribute="name", column_name="name")
    kind = fields.Field(attribute="kind", column_name="kind")
    parent_code = fields.Field(attribute="parent__code", column_name="parent_code")
    active_from = DateField(attribute="active_from", column_name="active_from")
    active_to = DateField(attribute="active_to", column_name="active_to")

    class Meta:
        model = Unit
        fields = services.UNIT_COLUMNS + services.UNIT_DATES


class SuccessionResource(resources.ModelResource):
    """predecessor_code,successor_code,effective_date (import_successions)."""

    predecessor_code = fields.Field(attribute="predecessor__code", column_name="predecessor_code")
    successor_code = fields.Field(attribute="successor__code", column_name="successor_code")
    effective_date = DateField(attribute="effective_date", column_name="effective_date")

    class Meta:
        model = Succession
        fields = successions.SUCCESSION_COLUMNS


class UserResource(resources.ModelResource):
    """username,full_name,email,unit_code,role (import_users): one row per membership.

    Passwords are never exported; the import's optional password column stays empty.
    """

    username = fields.Field(attribute="user__username", column_name="username")
    full_name = fields.Field(attribute="user__get_full_name", column_name="full_name")
    email = fields.Field(attribute="user__email", column_name="email")
    unit_code = fields.Field(attribute="unit__code", column_name="unit_code")
    role = fields.Field(attribute="role", column_name="role")

    class Meta:
        model = Membership
        fields = services.USER_COLUMNS
