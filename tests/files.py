"""Real files on disk for the import tests, and running the ◆ commands as a user would."""

import csv
import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from communes.models import Membership, Unit
from scoring.models import Assessment, AuditEvent, CriteriaSet, Criterion, Period, Score


def write_csv(folder: Path, name: str, rows, *, delimiter=",", bom=False, encoding="utf-8") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path = folder / name
    path.write_bytes(("\ufeff" if bom else "").encode(encoding) + buffer.getvalue().encode(encoding))
    return path


def write_xlsx(folder: Path, name: str, rows) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    path = folder / name
    workbook.save(path)
    return path


def run(command: str, /, *args, **options) -> str:
    """Run a command that must succeed; return what it printed."""
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err, **options)
    assert err.getvalue() == ""
    return out.getvalue().strip()


def run_failing(command: str, /, *args, **options) -> list[str]:
    """Run a command that must fail with status 1; return the lines it printed to stderr."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(command, *args, stdout=out, stderr=err, **options)
    assert failure.value.returncode == 1
    lines = err.getvalue().splitlines()
    assert str(failure.value) == f"Có {len(lines)} lỗi; không có dữ liệu nào được ghi."
    assert out.getvalue() == ""
    return lines


def database_state() -> dict:
    """Row counts and unit names: equal before and after a refused import."""
    models = [
        Unit, Membership, get_user_model(), CriteriaSet, Criterion, Period, Assessment, Score,
        AuditEvent,
    ]
    state = {model.__name__: model.objects.count() for model in models}
    state["unit names"] = sorted(Unit.objects.values_list("code", "name", "kind", "parent__code"))
    state["criteria"] = sorted(Criterion.objects.values_list("criteria_set__code", "code", "max_points"))
    return state
