"""Writes for units and accounts: the ◆ imports of docs/design.md §6 (also used by the admin);
lineage (import_successions) is communes/successions.py.

Each import checks the whole table first and reports every problem with its row and column
(ImportFailed); only a clean table is written, in one transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from tabular import ImportFailed, Row, RowError, Table, choice_lookup

from . import successions
from .dates import bad_date, format_date, parse_date
from .models import (
    ALLOWED_PARENT_LEVELS,
    LEVEL_OF_KIND,
    Kind,
    Level,
    Membership,
    Role,
    Unit,
)

UNIT_COLUMNS = ("code", "name", "kind", "parent_code")
UNIT_DATES = ("active_from", "active_to")
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


def import_units(table: Table, *, by=None, on_checked: Callable[[], None] | None = None) -> dict:
    """Create or update units from a table of code, name, kind, parent_code
    [, active_from, active_to].

    `kind` is a slug (xa, huyen, ...) or its Vietnamese label ("Xã", "Thị trấn"), any case.
    A parent may come later in the file or exist already. Units already in the database are
    updated in place (name, kind, parent). The dates (dd/mm/yyyy, empty = open; a unit is
    active on D when active_from ≤ D < active_to, docs/design.md §6) are written when the file has
    their column, and kept as they are when it has not. Refuses (ImportFailed, nothing
    saved): duplicate codes, unknown kinds or parents, a parent of the wrong level, a commune
    without a parent, cycles, a change of kind that would leave an existing child under the
    wrong level, bad dates, an active_to not after active_from, and new dates that break a
    stored succession (its successor no longer active on its date, its predecessor begun on or
    after it), and a change of kind that puts a stored succession across two levels.

    Returns {"created": n, "updated": n, "unchanged": n}. `by` is the acting user (no period
    is involved, so nothing is audited). `on_checked()` is called once the whole file passed,
    before anything is written (an import job's progress).
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
    errors += successions.lineage_errors(
        {
            line.code: line
            for line in lines
            if line.code in in_database
            and (line.active_from, line.active_to, line.level)
            != (in_database[line.code].active_from, in_database[line.code].active_to,
                in_database[line.code].level)
        },
        {line.code: line.level for line in lines if line.level},
    )
    if errors:
        raise ImportFailed(errors)
    if on_checked:
        on_checked()
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
                dates[column] = parse_date(text)
            except ValueError:
                dates[column] = None
                line_errors.append(row.error(column, bad_date(text)))
        errors += line_errors
        if code and code not in first_row and len(code) <= CODE_LENGTH:
            first_row[code] = row.number
            lines.append(_UnitLine(row, code, name, kind, row["parent_code"] or None, **dates))
    return lines, errors


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


# --- users ----------------------------------------------------------------------------------


@dataclass
class _Account:
    row: Row
    username: str
    full_name: str
    email: str
    password: str
    memberships: set[tuple[int, str]]


def import_users(table: Table, *, by=None, on_checked: Callable[[], None] | None = None) -> dict:
    """Create or update accounts and their memberships from a table of
    username, full_name, email, unit_code, role[, password].

    `role` is a slug (commune_officer, appraiser, leader) or its Vietnamese label. One user may
    appear on several rows (several memberships). A new user without a password gets an
    unusable one (set later through the admin or a password reset). An existing user gets the
    file's name and e-mail, its password if one is given, and the new memberships.
    Refuses (ImportFailed, nothing saved): unknown units and roles, invalid usernames, e-mails
    and passwords, a commune officer outside a commune, and rows of one user that disagree.

    Returns {"created": n, "updated": n, "memberships": n added, "without_password": [names]}.
    `on_checked()` is called once the whole file passed, before anything is written.
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
    if on_checked:
        on_checked()
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
