"""Small builders for test data: a province, two districts, communes, criteria trees, periods."""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model

from communes.models import Membership, Unit
from scoring.services.setup import CriterionRow, create_period, save_criteria_set

D = Decimal


def make_unit(code, name, kind, parent=None, **extra) -> Unit:
    unit = Unit(code=code, name=name, kind=kind, parent=parent, **extra)
    unit.save()
    return unit


def make_units():
    """Province P; district D1 with communes A (xã), B (thị trấn); district D2 with commune C."""
    province = make_unit("P", "Tỉnh Hải Dương", "tinh")
    d1 = make_unit("D1", "Huyện Ninh Giang", "huyen", province)
    d2 = make_unit("D2", "Huyện Cẩm Giàng", "huyen", province)
    return {
        "province": province,
        "district": d1,
        "other_district": d2,
        "commune": make_unit("A", "Xã Đồng Tâm", "xa", d1),
        "other_commune": make_unit("B", "Thị trấn Ninh Giang", "thi_tran", d1),
        "far_commune": make_unit("C", "Xã Cẩm Hưng", "xa", d2),
    }


TREES = {
    # Two fields, three leaves, 10 points.
    "flat": [
        ("1", None, "Công tác chỉ đạo, điều hành", "6"),
        ("1.1", "1", "Kế hoạch CCHC", "2"),
        ("1.2", "1", "Báo cáo CCHC", "4"),
        ("2", None, "Cải cách thủ tục hành chính", "4"),
        ("2.1", "2", "Công khai TTHC", "4"),
    ],
    # Three levels under one field.
    "deep": [
        ("1", None, "Chỉ đạo, điều hành", "6"),
        ("1.1", "1", "Kế hoạch", "3"),
        ("1.1.1", "1.1", "Ban hành kế hoạch", "1"),
        ("1.1.2", "1.1", "Hoàn thành kế hoạch", "2"),
        ("1.2", "1", "Báo cáo", "3"),
        ("2", None, "Thể chế", "4"),
        ("2.1", "2", "Văn bản", "4"),
    ],
}


def make_criteria_set(code="CS", tree="flat", **kwargs):
    rows = [
        CriterionRow(code=c, parent_code=p, name=n, max_points=D(m), evidence_required=p is not None)
        for c, p, n, m in TREES[tree]
    ]
    total = sum((row.max_points for row in rows if row.parent_code is None), D(0))
    return save_criteria_set(code, kwargs.pop("name", f"Bộ tiêu chí {code}"), rows, total=total, **kwargs)


def make_period(unit, *, code="P2024", year=2024, tree="flat", criteria_set=None, **kwargs):
    criteria_set = criteria_set or make_criteria_set(f"CS-{code}", tree)
    kwargs.setdefault("opens_on", datetime.date.today() - datetime.timedelta(days=1))
    return create_period(code=code, year=year, criteria_set=criteria_set, unit=unit, **kwargs)


def make_user(username, *, unit=None, role=None, password="matkhau-2024", **extra):
    user = get_user_model().objects.create_user(username=username, password=password, **extra)
    if unit is not None and role is not None:
        Membership.objects.create(user=user, unit=unit, role=role)
    return user


def score_admin_form(*, seen_version: int = 1, **values) -> dict:
    """POST data of the admin's score form: every field blank but `values` (strings) and the
    version the page showed."""
    blank = dict.fromkeys(
        (
            "self_score", "self_note", "appraised_score", "appraisal_note", "revision_request",
            "not_applicable_reason", "raw_value", "sample_size", "source", "audit_reason",
        ),
        "",
    )
    return {**blank, **values, "seen_version": str(seen_version)}
