"""The shape of the commands that import one period's table (`import_scores`, `import_survey`).

The leading underscore keeps Django from listing this module as a command.
"""

from django.contrib.auth import get_user_model

from scoring.models import Period
from tabular import ImportFailed, RowError, Table
from tabular.commands import ImportCommand


class PeriodImportCommand(ImportCommand):
    """An ImportCommand with `--period P`: `import_period` gets the Table, the Period and the
    user named by `--user` (offered when `user_option` is set; None otherwise)."""

    user_option = False

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--period", required=True, metavar="P", help="Mã kỳ đánh giá.")
        if self.user_option:
            parser.add_argument(
                "--user", metavar="USERNAME", help="Tên đăng nhập của người nhập (ghi vào nhật ký)."
            )

    def import_table(self, table: Table, *, period, user=None, **options) -> str:
        errors = []
        found = Period.objects.select_related("criteria_set").filter(code=period).first()
        if found is None:
            errors.append(RowError(None, None, f"Không có kỳ đánh giá mã “{period}”."))
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                errors.append(RowError(None, None, f"Không có người dùng “{user}”."))
        if errors:
            raise ImportFailed(errors)
        return self.import_period(table, found, by=by, **options)

    def import_period(self, table: Table, period: Period, *, by, **options) -> str:
        raise NotImplementedError
