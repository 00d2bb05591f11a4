"""cchc.compiled: a query compiled once gives what the ORM gives, on either database; and the
session store built on it refuses what Django's refuses."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from cchc.compiled import CompiledQuery
from cchc.sessions import SessionStore
from communes.access import memberships
from communes.models import Membership, Role
from scoring.models import Assessment
from scoring.permissions import visible_assessment
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def loaded(obj, names):
    """The columns and the chain of related objects select_related loaded, as plain values."""
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    for name in names:
        head, _, rest = name.partition("__")
        assert head in obj._state.fields_cache, f"{head} not loaded on {obj!r}"
        related = obj._state.fields_cache[head]
        values[head] = None if related is None else loaded(related, [rest] if rest else [])
    return values


def test_a_compiled_read_gives_the_orm_objects_and_their_related_chain(period, officer):
    related = ("period__unit", "period__criteria_set", "commune__parent__parent")
    by_codes = CompiledQuery(
        lambda p, c: Assessment.objects.select_related(*related).filter(
            period__code=p, commune__code=c
        ),
        "\x00p", "\x00c",
    )
    for assessment in Assessment.objects.filter(period=period):
        orm = Assessment.objects.select_related(*related).get(pk=assessment.pk)
        compiled = by_codes.get(period.code, assessment.commune.code)
        assert type(compiled) is Assessment and not compiled._state.adding
        assert loaded(compiled, related) == loaded(orm, related)
    assert by_codes.get(period.code, "KHONG-CO") is None
    assert by_codes.all("KHONG-CO", "KHONG-CO") == []


def test_visible_assessment_reads_through_it_and_still_checks_the_scope(
    period, officer, other_officer
):
    assessment = Assessment.objects.get(period=period, commune=officer.memberships.get().unit)
    code = assessment.commune.code
    found = visible_assessment(officer, period.code, code, "period__unit")
    assert found == assessment and found.period.unit == period.unit
    assert "unit" in found.period._state.fields_cache  # the `related` asked for came along
    assert visible_assessment(other_officer, period.code, code) is None  # another commune


def test_values_list_rows_and_memberships(units, officer):
    rows = CompiledQuery(
        lambda user_id: Membership.objects.filter(user_id=user_id).values_list("unit_id", "role"),
        -99,
    )
    expected = list(Membership.objects.filter(user=officer).values_list("unit_id", "role"))
    assert expected and rows.tuples(officer.pk) == expected
    assert rows.tuples(officer.pk + 1000) == []
    # memberships() reads the same rows, once per user object.
    fresh = type(officer).objects.get(pk=officer.pk)
    assert memberships(fresh) == expected
    Membership.objects.create(user=fresh, unit=units["district"], role=Role.LEADER)
    assert memberships(fresh) == expected  # cached for the request


def test_a_stand_in_must_be_one_plain_parameter(units):
    twice = CompiledQuery(
        lambda code: Assessment.objects.filter(period__code=code, commune__code=code), "\x00x"
    )
    with pytest.raises(ValueError, match="not one plain parameter"):
        twice.get("A")
    models_only = CompiledQuery(lambda pk: Membership.objects.filter(pk=pk), -5)
    with pytest.raises(ValueError):
        models_only.tuples(1)


def test_the_session_store_reads_a_live_session_and_refuses_an_expired_or_unknown_one(db):
    store = SessionStore()
    store["answer"] = 42
    store.create()
    store.save()
    key = store.session_key
    assert SessionStore(key).load() == {"answer": 42}
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    expired = SessionStore(key)
    assert expired.load() == {} and expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {} and unknown.session_key is None
    assert SessionStore("short").load() == {}  # a malformed key reads nothing


def test_record_changes_writes_each_column_as_the_orm_would(period, officer):
    from scoring.audit import record_changes, record_event
    from scoring.models import AuditEvent, Criterion

    assessment = Assessment.objects.get(period=period, commune=officer.memberships.get().unit)
    criterion = Criterion.objects.filter(criteria_set=period.criteria_set).first()
    before = timezone.now()
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    written = record_changes(
        assessment, by=officer, action="score_changed", criterion=criterion, reason="Lý do",
        changes=[("self_score", None, "1,5"), ("self_note", "cũ", "mới")],
    )
    assert written == 2
    record_event(assessment, by=officer, action="score_changed", criterion=criterion,
                 field_name="self_note", old="cũ", new="mới", reason="Lý do")
    columns = [f.attname for f in AuditEvent._meta.concrete_fields if f.attname not in ("id", "at")]
    *changes, orm = AuditEvent.objects.filter(id__gt=last).order_by("id").values(*columns, "at")
    assert [e["field_name"] for e in changes] == ["self_score", "self_note"]
    assert changes[0]["old_value"] == "" and changes[0]["new_value"] == "1,5"
    assert {k: changes[1][k] for k in columns} == {k: orm[k] for k in columns}
    assert changes[1]["detail"] == {} and changes[1]["period_id"] == period.pk
    assert before <= changes[0]["at"] <= orm["at"]
    assert record_changes(assessment, by=officer, action="score_changed", criterion=criterion,
                          changes=[]) == 0
