"""Export resources (django-import-export) for units and users, in the ◆ columns of design.md §6.

They only export: the admin imports through tabular.read_table and the services that the
management commands use, so a file is validated the same way wherever it comes in. An
exported file therefore has exactly the columns the import expects and imports back.
"""

from import_export import fields, resources

from . import services
from .models import Membership, Unit


class UnitResource(resources.ModelResource):
    """code,name,kind,parent_code (import_units)."""

    code = fields.Field(attribute="code", column_name="code")
    name = fields.Field(attribute="name", column_name="name")
    kind = fields.Field(attribute="kind", column_name="kind")
    parent_code = fields.Field(attribute="parent__code", column_name="parent_code")

    class Meta:
        model = Unit
        fields = services.UNIT_COLUMNS


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
