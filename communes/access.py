"""Roles and unit scope: the base of every permission check (scoring/permissions.py).

A membership gives its role on its unit and on every unit below it: an appraiser of a district
appraises the district's communes; a leader of a province reads everything in the province.
Superusers administer everything.
"""

from django.db.models import QuerySet

from cchc.compiled import CompiledQuery

from .models import Membership, Role, Unit

_CACHE_ATTR = "_cchc_memberships"
# Read on every page and save: compiled once per process (cchc.compiled).
_MEMBERSHIPS = CompiledQuery(
    lambda user_id: Membership.objects.filter(user_id=user_id).values_list("unit_id", "role"),
    -(2**31) + 7,
)


def memberships(user) -> list[tuple[int, str]]:
    """(unit id, role) pairs of the user, read once per user object (i.e. once per request)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = _MEMBERSHIPS.tuples(user.pk)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_memberships(user) -> None:
    """Drop the cached memberships (after they change within one request or test)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_of(user) -> set[str]:
    return {role for _, role in memberships(user)}


def has_role(user, unit: Unit, role: str | Role) -> bool:
    """May the user act with `role` on `unit` (a membership on it or on a unit above it)?"""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    ancestors = set(unit.ancestor_ids())
    return any(unit_id in ancestors and r == role for unit_id, r in memberships(user))


def has_any_role(user, unit: Unit, roles) -> bool:
    return any(has_role(user, unit, role) for role in roles)


def is_unit_staff(user, unit: Unit) -> bool:
    """Any role on `unit` or a unit above it (who sees the jobs working for the unit)."""
    return has_any_role(user, unit, Role.values)


def in_scope(user, unit: Unit) -> bool:
    """Is `unit` among units_in_scope(user)? The same rule, for one unit in Python: a unit the
    user holds any role on, or one below it. No query once the user's memberships are read
    and the unit's parents are loaded (a save checks the one assessment it reads this way,
    instead of planning the scope subquery with it)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    ancestors = set(unit.ancestor_ids())
    return any(unit_id in ancestors for unit_id, _ in memberships(user))


def units_in_scope(user, role: str | Role | None = None) -> QuerySet[Unit]:
    """Every unit the user may see (with `role`, or with any role): their units and below."""
    if not user.is_authenticated:
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.all()
    unit_ids = {unit_id for unit_id, r in memberships(user) if role is None or r == role}
    if not unit_ids:
        return Unit.objects.none()
    return Unit.objects.under(unit_ids)
