"""Writes for units and accounts: the ◆ imports of design.md §6 (also used by the admin).

Each import checks the whole table first and reports every problem with its row and column
(ImportFailed); only a clean table is written, in one transaction.
"""

from __future__ import annotations

import datetime
from collections import deque
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction

from tabular import ErrorList, ImportFailed, Row, RowError, Table, choice_lookup

from .models import (
    ALLOWED_PARENT_LEVELS,
    LEVEL_OF_KIND,
    Kind,
    Level,
    Membership,
    Role,
    Succession,
    Unit,
)

UNIT_COLUMNS = ("code", "name", "kind", "parent_code")
UNIT_DATES = ("active_from", "active_to")
SUCCESSION_COLUMNS = ("predecessor_code", "successor_code", "effective_date")
USER_COLUMNS = ("username", "full_name", "email", "unit_code", "role")
USER_OPTIONAL = ("password",)

CODE_LENGTH = Unit._meta.get_field("code").max_length
NAME_LENGTH = Unit._meta.get_field("name").max_length


# --- units ----------------------------------------------------------------------------------


@dataclass
class _UnitLine:
    row: Row
    code: str
    name: str
    kind: str | None
    parent_code: str | None
    active_from: datetime.date | None = None
    active_to: datetime.date | None = None

    @property
    def level(self) -> str | None:
        return LEVEL_OF_KIND[self.kind] if self.kind else None


@dataclass
class _Known:
    """A unit as the checks see it: from the database, overridden by the file."""

    code: str
    name: str
    kind: str | None
    level: str | None
    parent_code: str | None
    pk: int | None = None
    row: Row | None = None
    active_from: datetime.date | None = None
    active_to: datetime.date | None = None


def import_units(table: Table, *, by=None) -> dict:
    """Create or update units from a table of code, name, kind, parent_code
    [, active_from, active_to].

    `kind` is a slug (xa, huyen, ...) or its Vietnamese label ("Xã", "Thị trấn"), any case.
    A parent may come later in the file or exist already. Units already in the database are
    updated in place (name, kind, parent). The dates (dd/mm/yyyy, empty = open; a unit is
    active on D when active_from ≤ D < active_to, design.md §6) are written when the file has
    their column, and kept as they are when it has not. Refuses (ImportFailed, nothing
    saved): duplicate codes, unknown kinds or parents, a parent of the wrong level, a commune
    without a parent, cycles, a change of kind that would leave an existing child under the
    wrong level, bad dates and an active_to not after active_from.

    Returns {"created": n, "updated": n, "unchanged": n}. `by` is the acting user (no period
    is involved, so nothing is audited).
    """
    table.require(UNIT_COLUMNS)
    known = {
        code: _Known(code, name, kind, level, parent_code, pk, None, *dates)
        for pk, code, name, kind, level, parent_code, *dates in Unit.objects.values_list(
            "pk", "code", "name", "kind", "level", "parent__code", "active_from", "active_to"
        )
    }
    in_database = dict(known)
    lines, errors = _unit_lines(table)
    for line in lines:
        old = in_database.get(line.code)
        # A date column the file does not have keeps what is stored.
        for column in UNIT_DATES:
            if not table.has(column):
                setattr(line, column, getattr(old, column) if old else None)
        if line.active_from and line.active_to and line.active_to <= line.active_from:
            column = "active_to" if table.has("active_to") else "active_from"
            errors.append(
                line.row.error(
                    column,
                    f"Ngày hết hiệu lực {format_date(line.active_to)} phải sau ngày hiệu lực "
                    f"{format_date(line.active_from)}.",
                )
            )
        pk = in_database[line.code].pk if line.code in in_database else None
        known[line.code] = _Known(
            line.code, line.name, line.kind, line.level, line.parent_code, pk, line.row
        )
    errors += _unit_tree_errors(lines, known, in_database)
    if errors:
        raise ImportFailed(errors)
    return _save_units(lines, in_database)


def _unit_lines(table: Table) -> tuple[list[_UnitLine], list[RowError]]:
    kinds = choice_lookup(Kind.choices)
    first_row: dict[str, int] = {}
    lines, errors = [], []
    for row in table.rows:
        code, name, kind_text = row["code"], row["name"], row["kind"]
        line_errors = []
        if not code:
            line_errors.append(row.error("code", "Chưa có mã đơn vị."))
        elif len(code) > CODE_LENGTH:
            line_errors.append(
                row.error("code", f"Mã “{code}” dài quá {CODE_LENGTH} ký tự.")
            )
        elif code in first_row:
            line_errors.append(
                row.error("code", f"Mã “{code}” bị trùng với dòng {first_row[code]}.")
            )
        if not name:
            line_errors.append(row.error("name", "Chưa có tên đơn vị."))
        elif len(name) > NAME_LENGTH:
            line_errors.append(row.error("name", f"Tên đơn vị dài quá {NAME_LENGTH} ký tự."))
        kind = kinds.get(kind_text.lower())
        if kind is None:
            line_errors.append(row.error("kind", _unknown_kind(kind_text)))
        dates = {}
        for column in UNIT_DATES:
            text = row.values.get(column, "")
            try:
                dates[column] = _date(text)
            except ValueError:
                dates[column] = None
                line_errors.append(row.error(column, _bad_date(text)))
        errors += line_errors
        if code and code not in first_row and len(code) <= CODE_LENGTH:
            first_row[code] = row.number
            lines.append(_UnitLine(row, code, name, kind, row["parent_code"] or None, **dates))
    return lines, errors


def _date(text: str) -> datetime.date | None:
    """A dd/mm/yyyy date (what every import takes; XLSX date cells arrive so), "" → None."""
    if not text:
        return None
    return datetime.datetime.strptime(text, "%d/%m/%Y").date()


def _bad_date(text: str) -> str:
    return f"“{text}” không phải là ngày hợp lệ (dạng dd/mm/yyyy, ví dụ 01/07/2025)."


def format_date(value: datetime.date | None) -> str:
    """dd/mm/yyyy, as every date the app prints (design.md §5)."""
    return value.strftime("%d/%m/%Y") if value else ""


def _unknown_kind(text: str) -> str:
    if not text:
        return "Chưa có loại đơn vị."
    return (
        f"“{text}” không phải là loại đơn vị hợp lệ (dùng {', '.join(Kind.values)} "
        "hoặc tên như “Xã”, “Phường”, “Thị trấn”, “Huyện”)."
    )


def _unit_tree_errors(
    lines: list[_UnitLine], known: dict[str, _Known], in_database: dict[str, _Known]
) -> list[RowError]:
    """Parents: known, not in a cycle, of an allowed level (communes/models.py)."""
    errors: list[RowError] = []
    acyclic: set[str] = set()
    for line in lines:
        row, parent_code = line.row, line.parent_code
        if parent_code is None:
            if line.level == Level.COMMUNE:
                errors.append(row.error("parent_code", "Đơn vị cấp xã phải có đơn vị cấp trên."))
            continue
        if parent_code == line.code:
            errors.append(row.error("parent_code", "Đơn vị không thể là cấp trên của chính nó."))
            continue
        parent = known.get(parent_code)
        if parent is None:
            errors.append(
                row.error(
                    "parent_code",
                    f"Không có đơn vị cấp trên mã “{parent_code}” "
                    "(trong tệp hoặc trong cơ sở dữ liệu).",
                )
            )
            continue
        cycle = _cycle(line.code, known, acyclic)
        if cycle:
            errors.append(
                row.error("parent_code", f"Vòng lặp đơn vị cấp trên: {' → '.join(cycle)}.")
            )
            continue
        if line.level and parent.level and parent.level not in ALLOWED_PARENT_LEVELS[line.level]:
            errors.append(row.error("parent_code", _wrong_parent(line.kind, parent)))
    # An existing unit left out of the file must still fit under its parent's new kind.
    changed = {
        line.code: line
        for line in lines
        if line.code in in_database and line.level and line.level != in_database[line.code].level
    }
    if changed:
        for child in in_database.values():
            if child.parent_code in changed and known[child.code].row is None:
                parent = known[child.parent_code]
                if parent.level not in ALLOWED_PARENT_LEVELS[child.level]:
                    errors.append(
                        changed[child.parent_code].row.error(
                            "kind",
                            f"{child.name} ({child.code}) đang trực thuộc đơn vị này; "
                            f"không thể đổi thành {Kind(parent.kind).label}.",
                        )
                    )
    return errors


def _cycle(code: str, known: dict[str, _Known], acyclic: set[str]) -> list[str] | None:
    """The codes of the cycle through `code` (["A", "B", "A"]), or None."""
    path, current = [code], known[code].parent_code
    while current is not None and current in known and current not in acyclic:
        if current == code:
            return [*path, code]
        if current in path:
            return None  # a cycle above this unit: reported on the rows of its members
        path.append(current)
        current = known[current].parent_code
    acyclic.update(path)
    return None


def _wrong_parent(kind: str, parent: _Known) -> str:
    return (
        f"{Kind(kind).label} không thể trực thuộc {parent.name} "
        f"(mã {parent.code}, {Level(parent.level).label.lower()})."
    )


@transaction.atomic
def _save_units(lines: list[_UnitLine], in_database: dict[str, _Known]) -> dict:
    pk_of = {code: unit.pk for code, unit in in_database.items()}
    new = [line for line in lines if line.code not in in_database]
    # Parents are one level up or more: creating level by level creates every parent first.
    for level in (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE):
        created = Unit.objects.bulk_create(
            [
                Unit(
                    code=line.code,
                    name=line.name,
                    kind=line.kind,
                    level=level,
                    parent_id=pk_of.get(line.parent_code),
                    active_from=line.active_from,
                    active_to=line.active_to,
                )
                for line in new
                if line.level == level
            ],
            batch_size=2000,
        )
        if any(unit.pk is None for unit in created):  # a backend without RETURNING
            codes = [unit.code for unit in created]
            pk_of.update(Unit.objects.filter(code__in=codes).values_list("code", "pk"))
        else:
            pk_of.update((unit.code, unit.pk) for unit in created)
    # Grouped by the fields that changed: a renaming file updates names only (bulk_update
    # builds one CASE per field and row, its main cost).
    changed: dict[tuple[str, ...], list[Unit]] = {}
    for line in lines:
        old = in_database.get(line.code)
        if old is None:
            continue
        fields = tuple(
            name
            for name, differs in (
                ("name", line.name != old.name),
                ("kind", line.kind != old.kind),
                ("level", line.level != old.level),
                ("parent", line.parent_code != old.parent_code),
                ("active_from", line.active_from != old.active_from),
                ("active_to", line.active_to != old.active_to),
            )
            if differs
        )
        if fields:
            unit = Unit(
                pk=old.pk,
                code=line.code,
                name=line.name,
                kind=line.kind,
                level=line.level,
                parent_id=pk_of.get(line.parent_code),
                active_from=line.active_from,
                active_to=line.active_to,
            )
            changed.setdefault(fields, []).append(unit)
    for fields, units in changed.items():
        Unit.objects.bulk_update(units, fields, batch_size=500)
    updated = sum(len(units) for units in changed.values())
    return {
        "created": len(new),
        "updated": updated,
        "unchanged": len(lines) - len(new) - updated,
    }


# --- lineage ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _UnitDates:
    pk: int
    code: str
    name: str
    level: str
    active_from: datetime.date | None
    active_to: datetime.date | None

    def active_on(self, day: datetime.date) -> bool:
        """The rule of design.md §6: active_from ≤ D < active_to (empty = open)."""
        return (self.active_from is None or self.active_from <= day) and (
            self.active_to is None or day < self.active_to
        )

    def label(self) -> str:
        return f"{self.name} (mã {self.code})"


@dataclass
class _SuccessionLine:
    row: Row
    predecessor: _UnitDates
    successor: _UnitDates
    effective_date: datetime.date


@transaction.atomic
def import_successions(table: Table, *, by=None) -> dict:
    """Record who became whom from a table of predecessor_code, successor_code, effective_date
    (one row per old unit and new unit: a commune formed from three has three rows).

    Both units must exist (import them first) and be of the same level; the successor must be
    active on effective_date (dd/mm/yyyy) and the predecessor must have begun before it.
    Refuses (ImportFailed, nothing saved): unknown codes, bad dates, a unit succeeding itself,
    the same pair twice in the file, and cycles, also those closed together with the
    successions already recorded.

    Importing the same file again changes nothing: a pair already recorded is left as it is,
    or gets the file's date when the date differs (a correction). Pairs not in the file stay
    (a province may load its lineage in several files; the admin deletes a wrong pair).
    Returns {"created": n, "updated": n, "unchanged": n}. `by` is the acting user (no period
    is involved, so nothing is audited).
    """
    table.require(SUCCESSION_COLUMNS)
    _lock_successions()
    codes = {row[column] for row in table.rows for column in SUCCESSION_COLUMNS[:2]}
    units = {
        unit.code: unit
        for unit in (
            _UnitDates(*values)
            for values in Unit.objects.filter(code__in=codes - {""}).values_list(
                "pk", "code", "name", "level", "active_from", "active_to"
            )
        )
    }
    lines, errors = _succession_lines(table, units)
    errors += _succession_cycles(lines)
    if errors:
        raise ImportFailed(errors)
    return _save_successions(lines)


def _lock_successions() -> None:
    """Imports of lineage run one at a time (on PostgreSQL): two files that close a cycle
    together are then checked one after the other, not both against the table before either.
    Readers are not blocked."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Succession._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def _succession_lines(
    table: Table, units: dict[str, _UnitDates]
) -> tuple[list[_SuccessionLine], ErrorList]:
    errors = ErrorList()
    lines: list[_SuccessionLine] = []
    first_row: dict[tuple[str, str], int] = {}
    for row in table.rows:
        before = len(errors)
        ends = {}
        for column, what in (("predecessor_code", "đơn vị cũ"), ("successor_code", "đơn vị mới")):
            code = row[column]
            ends[column] = units.get(code)
            if not code:
                errors.append(row.error(column, f"Chưa có mã {what}."))
            elif ends[column] is None:
                errors.append(
                    row.error(column, f"Không có đơn vị mã “{code}” (hãy nhập đơn vị trước).")
                )
        predecessor, successor = ends["predecessor_code"], ends["successor_code"]
        day = None
        try:
            day = _date(row["effective_date"])
            if day is None:
                errors.append(row.error("effective_date", "Chưa có ngày hiệu lực."))
        except ValueError:
            errors.append(row.error("effective_date", _bad_date(row["effective_date"])))
        pair = (row["predecessor_code"], row["successor_code"])
        if pair[0] and pair[0] == pair[1]:
            errors.append(row.error("successor_code", "Đơn vị mới phải khác đơn vị cũ."))
        elif all(pair) and pair in first_row:
            errors.append(
                row.error(
                    "successor_code",
                    f"Cặp {pair[0]} → {pair[1]} bị trùng với dòng {first_row[pair]}.",
                )
            )
        first_row.setdefault(pair, row.number)
        if len(errors) > before:
            continue
        if predecessor.level != successor.level:
            errors.append(
                row.error(
                    "successor_code",
                    f"{successor.label()} thuộc {Level(successor.level).label.lower()}, còn "
                    f"{predecessor.label()} thuộc {Level(predecessor.level).label.lower()}: "
                    "đơn vị cũ và đơn vị mới phải cùng cấp.",
                )
            )
        if not successor.active_on(day):
            errors.append(
                row.error(
                    "effective_date",
                    f"{successor.label()} không hoạt động vào ngày {format_date(day)} "
                    f"({_span(successor)}).",
                )
            )
        if predecessor.active_from is not None and predecessor.active_from >= day:
            errors.append(
                row.error(
                    "effective_date",
                    f"{predecessor.label()} bắt đầu hoạt động từ ngày "
                    f"{format_date(predecessor.active_from)}, không thể được kế thừa vào ngày "
                    f"{format_date(day)}.",
                )
            )
        if len(errors) == before:
            lines.append(_SuccessionLine(row, predecessor, successor, day))
    return lines, errors


def _span(unit: _UnitDates) -> str:
    """When a unit is active, in words: "hoạt động từ 01/07/2025", "thôi hoạt động từ …"."""
    if unit.active_from and unit.active_to:
        return (
            f"hoạt động từ ngày {format_date(unit.active_from)} đến trước ngày "
            f"{format_date(unit.active_to)}"
        )
    if unit.active_from:
        return f"hoạt động từ ngày {format_date(unit.active_from)}"
    return f"thôi hoạt động từ ngày {format_date(unit.active_to)}"


def _succession_cycles(lines: list[_SuccessionLine]) -> list[RowError]:
    """Rows whose successor leads back to their predecessor, through the file's rows and the
    successions already recorded: "A → B → A" (a unit never succeeds itself, even later)."""
    if not lines:
        return []
    following: dict[int, set[int]] = {}
    for predecessor_id, successor_id in Succession.objects.values_list(
        "predecessor_id", "successor_id"
    ):
        following.setdefault(predecessor_id, set()).add(successor_id)
    code_of = {}
    for line in lines:
        following.setdefault(line.predecessor.pk, set()).add(line.successor.pk)
        code_of[line.predecessor.pk] = line.predecessor.code
        code_of[line.successor.pk] = line.successor.code
    cycles = []
    for line in lines:
        path = _path(following, line.successor.pk, line.predecessor.pk)
        if path is not None:
            cycles.append((line.row, [line.predecessor.pk, *path]))
    missing = {pk for _, path in cycles for pk in path} - code_of.keys()
    code_of.update(Unit.objects.filter(pk__in=missing).values_list("pk", "code"))
    errors = []
    for row, path in cycles:
        errors.append(
            row.error(
                "successor_code",
                f"Vòng lặp kế thừa: {' → '.join(code_of[pk] for pk in path)}.",
            )
        )
    return errors


def _path(following: dict[int, set[int]], start: int, goal: int) -> list[int] | None:
    """The shortest chain of successions from `start` to `goal` (both included), or None."""
    came_from = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        if current == goal:
            path = []
            while current is not None:
                path.append(current)
                current = came_from[current]
            return path[::-1]
        for following_id in sorted(following.get(current, ())):
            if following_id not in came_from:
                came_from[following_id] = current
                queue.append(following_id)
    return None


def _save_successions(lines: list[_SuccessionLine]) -> dict:
    stored = {
        (succession.predecessor_id, succession.successor_id): succession
        for succession in Succession.objects.filter(
            predecessor_id__in={line.predecessor.pk for line in lines},
            successor_id__in={line.successor.pk for line in lines},
        )
    }
    new, changed = [], []
    for line in lines:
        succession = stored.get((line.predecessor.pk, line.successor.pk))
        if succession is None:
            new.append(
                Succession(
                    predecessor_id=line.predecessor.pk,
                    successor_id=line.successor.pk,
                    effective_date=line.effective_date,
                )
            )
        elif succession.effective_date != line.effective_date:
            succession.effective_date = line.effective_date
            changed.append(succession)
    Succession.objects.bulk_create(new, batch_size=2000)
    Succession.objects.bulk_update(changed, ["effective_date"], batch_size=500)
    return {
        "created": len(new),
        "updated": len(changed),
        "unchanged": len(lines) - len(new) - len(changed),
    }


# --- users ----------------------------------------------------------------------------------


@dataclass
class _Account:
    row: Row
    username: str
    full_name: str
    email: str
    password: str
    memberships: set[tuple[int, str]]


def import_users(table: Table, *, by=None) -> dict:
    """Create or update accounts and their memberships from a table of
    username, full_name, email, unit_code, role[, password].

    `role` is a slug (commune_officer, appraiser, leader) or its Vietnamese label. One user may
    appear on several rows (several memberships). A new user without a password gets an
    unusable one (set later through the admin or a password reset). An existing user gets the
    file's name and e-mail, its password if one is given, and the new memberships.
    Refuses (ImportFailed, nothing saved): unknown units and roles, invalid usernames, e-mails
    and passwords, a commune officer outside a commune, and rows of one user that disagree.

    Returns {"created": n, "updated": n, "memberships": n added, "without_password": [names]}.
    """
    table.require(USER_COLUMNS)
    User = get_user_model()
    units = {
        code: (pk, level, name)
        for code, pk, level, name in Unit.objects.filter(
            code__in={row["unit_code"] for row in table.rows}
        ).values_list("code", "pk", "level", "name")
    }
    accounts, errors = _accounts(table, units, User)
    if errors:
        raise ImportFailed(errors)
    return _save_accounts(accounts, User)


def _accounts(table: Table, units: dict, User) -> tuple[dict[str, _Account], list[RowError]]:
    roles = choice_lookup(Role.choices)
    check_username = UnicodeUsernameValidator()
    accounts: dict[str, _Account] = {}
    errors: list[RowError] = []
    for row in table.rows:
        username, full_name = row["username"], row["full_name"]
        email, password = row["email"], row["password"]
        unit_code, role_text = row["unit_code"], row["role"]
        row_errors = []
        if not username:
            row_errors.append(row.error("username", "Chưa có tên đăng nhập."))
        else:
            try:
                check_username(username)
                if len(username) > 150:
                    raise ValidationError("")
            except ValidationError:
                row_errors.append(
                    row.error(
                        "username",
                        f"Tên đăng nhập “{username}” không hợp lệ (tối đa 150 ký tự: chữ, số "
                        "và các ký tự @ . + - _).",
                    )
                )
        if not full_name:
            row_errors.append(row.error("full_name", "Chưa có họ và tên."))
        elif len(full_name) > 150:
            row_errors.append(row.error("full_name", "Họ và tên dài quá 150 ký tự."))
        if email:
            try:
                validate_email(email)
            except ValidationError:
                row_errors.append(
                    row.error("email", f"“{email}” không phải là địa chỉ e-mail hợp lệ.")
                )
        unit = units.get(unit_code)
        if unit is None:
            row_errors.append(
                row.error(
                    "unit_code",
                    f"Không có đơn vị mã “{unit_code}”." if unit_code else "Chưa có mã đơn vị.",
                )
            )
        role = roles.get(role_text.lower())
        if role is None:
            row_errors.append(row.error("role", _unknown_role(role_text)))
        elif unit is not None and role == Role.COMMUNE_OFFICER and unit[1] != Level.COMMUNE:
            row_errors.append(
                row.error(
                    "role",
                    f"Công chức cấp xã phải thuộc một đơn vị cấp xã; {unit[2]} là "
                    f"{Level(unit[1]).label.lower()}.",
                )
            )
        if password and not row_errors:
            try:
                validate_password(
                    password, User(username=username, first_name=full_name, email=email)
                )
            except ValidationError as error:
                row_errors.append(row.error("password", " ".join(error.messages)))
        errors += row_errors
        if row_errors:
            continue
        account = accounts.get(username)
        if account is None:
            accounts[username] = _Account(
                row, username, full_name, email, password, {(unit[0], role)}
            )
            continue
        for column, mine, theirs in (
            ("full_name", full_name, account.full_name),
            ("email", email, account.email),
            ("password", password, account.password),
        ):
            if mine != theirs:
                errors.append(
                    row.error(
                        column,
                        f"Khác với dòng {account.row.number} của cùng tài khoản “{username}”.",
                    )
                )
        account.memberships.add((unit[0], role))
    return accounts, errors


def _unknown_role(text: str) -> str:
    if not text:
        return "Chưa có vai trò."
    labels = ", ".join(f"“{label}”" for label in Role.labels)
    return (
        f"“{text}” không phải là vai trò hợp lệ (dùng {', '.join(Role.values)} "
        f"hoặc {labels})."
    )


@transaction.atomic
def _save_accounts(accounts: dict[str, _Account], User) -> dict:
    existing = {user.username: user for user in User.objects.filter(username__in=accounts)}
    new_users, updated, without_password = [], 0, []
    for account in accounts.values():
        user = existing.get(account.username)
        if user is None:
            user = User(
                username=account.username, first_name=account.full_name, email=account.email
            )
            if account.password:
                user.set_password(account.password)
            else:
                user.set_unusable_password()
                without_password.append(account.username)
            new_users.append(user)
            continue
        before = (user.first_name, user.email, user.password)
        # Vietnamese full names stay whole in first_name ("Nguyễn Thị Hạnh").
        user.first_name, user.last_name = account.full_name, ""
        user.email = account.email or user.email
        if account.password:
            user.set_password(account.password)
        if (user.first_name, user.email, user.password) != before:
            user.save(update_fields=["first_name", "last_name", "email", "password"])
            updated += 1
    User.objects.bulk_create(new_users)
    user_pk = {
        username: pk
        for username, pk in User.objects.filter(username__in=accounts).values_list("username", "pk")
    }
    have = set(
        Membership.objects.filter(user_id__in=user_pk.values()).values_list(
            "user_id", "unit_id", "role"
        )
    )
    memberships = [
        Membership(user_id=user_pk[account.username], unit_id=unit_id, role=role)
        for account in accounts.values()
        for unit_id, role in sorted(account.memberships)
        if (user_pk[account.username], unit_id, role) not in have
    ]
    Membership.objects.bulk_create(memberships)
    return {
        "created": len(new_users),
        "updated": updated,
        "memberships": len(memberships),
        "without_password": without_password,
    }
