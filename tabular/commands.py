"""The shape shared by the ◆ file-import commands: read the whole file, import it or nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.management.base import BaseCommand, CommandError

from .table import ImportFailed, RowError, Table, count_text, read_table


def fail(command: BaseCommand, errors: Iterable[RowError | str] | ImportFailed) -> CommandError:
    """Print each error on its own line to stderr (a refused file: its first 200 and the
    count of the rest); return the CommandError to raise (exit 1)."""
    if isinstance(errors, ImportFailed):
        lines, count = errors.lines(), errors.count
    else:
        lines = [str(error) for error in errors]
        count = len(lines)
    for line in lines:
        command.stderr.write(line)
    return CommandError(
        f"Có {count_text(count)} lỗi; không có dữ liệu nào được ghi.", returncode=1
    )


class ImportCommand(BaseCommand):
    """A command taking FILE: `import_table` gets the Table and returns the summary to print.

    A service refusing the file raises ImportFailed; every error is printed, then the command
    exits with status 1 (CommandError, which `call_command` raises in tests).
    """

    required: Sequence[str] = ()
    optional: Sequence[str] = ()

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="Tệp .csv (UTF-8) hoặc .xlsx.")

    def handle(self, *args, file, **options):
        try:
            table = read_table(file, file, required=self.required, optional=self.optional)
            summary = self.import_table(table, **options)
        except FileNotFoundError:
            raise fail(self, [f"Không tìm thấy tệp “{file}”."]) from None
        except OSError as error:
            raise fail(self, [f"Không đọc được tệp “{file}”: {error.strerror}."]) from None
        except ImportFailed as error:
            raise fail(self, error) from None
        self.stdout.write(self.style.SUCCESS(summary))

    def import_table(self, table: Table, **options) -> str:
        raise NotImplementedError
