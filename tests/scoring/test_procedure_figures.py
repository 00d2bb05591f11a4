"""TTHC figures (số liệu giải quyết TTHC): the rules, `import_tthc FILE --period P [--user U]`
with real CSV and XLSX files, the audit trail, the admin, and the lock once the period is
published."""

import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from scoring import rules
from scoring.models import AuditEvent, FrozenError, ProcedureFigures
from scoring.services.publishing import publish_period, reopen_for_correction
from tests.files import database_state, run, run_failing, write_csv, write_xlsx

from .appraisal_data import submitted
from .publish_data import appraise_all

D = Decimal
HEADER = ["commune_code", "received", "processed", "on_time", "late", "online"]


# --- rules (no database) ------------------------------------------------------------------


def test_sound_figures_have_no_problem():
    assert rules.check_procedure_figures(130, 127, 127, 0, 98) == []
    assert rules.check_procedure_figures(0, 0, 0, 0) == []  # nothing received, online not given


def test_on_time_plus_late_must_equal_processed():
    assert rules.check_procedure_figures(130, 127, 120, 5) == [
        (
            "processed",
            "Số hồ sơ đã giải quyết (127) phải bằng số đúng hạn cộng số trễ hạn (120 + 5 = 125).",
        )
    ]


def test_processed_and_online_may_not_exceed_received():
    assert rules.check_procedure_figures(100, 127, 127, 0, 101) == [
        ("processed", "Số hồ sơ đã giải quyết (127) vượt quá số hồ sơ tiếp nhận (100)."),
        ("online", "Số hồ sơ nộp trực tuyến (101) vượt quá số hồ sơ tiếp nhận (100)."),
    ]


def test_counts_must_be_non_negative_whole_numbers_and_bad_ones_skip_their_relations():
    problems = rules.check_procedure_figures(-1, 2.5, 2, True, 0)
    assert problems == [
        ("received", "Số hồ sơ tiếp nhận “-1” phải là số nguyên không âm."),
        ("processed", "Số hồ sơ đã giải quyết “2.5” phải là số nguyên không âm."),
        ("late", "Số hồ sơ trễ hạn “True” phải là số nguyên không âm."),
    ]


@pytest.mark.parametrize(("text", "count"), [("127", 127), ("0", 0), (42, 42)])
def test_parse_count_reads_whole_numbers(text, count):
    assert rules.parse_count(text) == count


@pytest.mark.parametrize("text", ["12,5", "1.234", "-3", "mười", "", "٣"])
def test_parse_count_refuses_anything_else(text):
    with pytest.raises(rules.RuleError, match="không phải là số nguyên không âm"):
        rules.parse_count(text)


@pytest.mark.parametrize(
    ("late", "processed", "share"),
    [
        (0, 127, D("0")),
        (0, 0, D("0")),  # none processed: 0%, not a division by zero
        (5, 127, D("3.94")),  # 3,937…
        (1, 800, D("0.13")),  # 0,125 half-up, not half-even
        (3, 3, D("100")),
    ],
)
def test_late_share_is_a_percentage_of_processed_half_up(late, processed, share):
    assert rules.late_share(late, processed) == share


def test_figures_print_as_the_commune_report_says_them():
    assert rules.format_procedure_figures(130, 127, 127, 0, 98) == (
        "tiếp nhận 130 hồ sơ, đã giải quyết 127, đúng hạn 127, trễ hạn 0 (0% trễ hạn); "
        "nộp trực tuyến 98"
    )
    assert rules.format_procedure_figures(40, 8, 7, 1) == (
        "tiếp nhận 40 hồ sơ, đã giải quyết 8, đúng hạn 7, trễ hạn 1 (12,5% trễ hạn)"
    )
    assert "(0% trễ hạn)" in rules.format_procedure_figures(3, 0, 0, 0)


# --- the command --------------------------------------------------------------------------


def figures():
    return {
        f.commune.code: (f.received, f.processed, f.on_time, f.late, f.online)
        for f in ProcedureFigures.objects.select_related("commune")
    }


def test_a_good_csv_stores_every_commune_and_audits_it(period, appraiser, tmp_path):
    path = write_csv(
        tmp_path,
        "tthc-2024.csv",
        [HEADER, ["A", "130", "127", "127", "0", "98"], ["B", "52", "50", "47", "3", ""]],
        delimiter=";",
        bom=True,
    )
    out = run("import_tthc", str(path), "--period", period.code, "--user", appraiser.username)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert out == (
        "Đã nhập số liệu giải quyết TTHC của 2 đơn vị từ tệp “tthc-2024.csv” "
        f"(SHA-256 {digest[:12]}…); 2 đơn vị có số liệu mới hoặc thay đổi."
    )
    assert figures() == {"A": (130, 127, 127, 0, 98), "B": (52, 50, 47, 3, None)}
    stored = ProcedureFigures.objects.get(commune__code="B")
    assert stored.source == f"tthc-2024.csv / {digest}"
    assert stored.updated_by == appraiser and stored.updated_at is not None
    assert stored.late_share_text == "6%"
    file_event = AuditEvent.objects.get(action="procedure_file_imported")
    assert (file_event.user, file_event.period) == (appraiser, period)
    assert file_event.detail == {
        "filename": "tthc-2024.csv", "sha256": digest, "rows": 2, "changed": 2,
    }
    per_commune = AuditEvent.objects.filter(action="procedure_figures_imported").order_by(
        "assessment__commune__code"
    )
    assert [(e.assessment.commune.code, e.old_value, e.new_value) for e in per_commune] == [
        ("A", "", "tiếp nhận 130 hồ sơ, đã giải quyết 127, đúng hạn 127, trễ hạn 0 (0% trễ hạn); "
              "nộp trực tuyến 98"),
        ("B", "", "tiếp nhận 52 hồ sơ, đã giải quyết 50, đúng hạn 47, trễ hạn 3 (6% trễ hạn)"),
    ]
    assert all(e.user == appraiser and e.detail["sha256"] == digest for e in per_commune)


def test_xlsx_without_the_online_column_is_read_too(period, tmp_path):
    path = write_xlsx(
        tmp_path, "tthc.xlsx", [HEADER[:5], ["A", 127, 127, 127, 0], ["B", 10.0, 9, 9, 0]]
    )
    run("import_tthc", str(path), "--period", period.code)
    assert figures() == {"A": (127, 127, 127, 0, None), "B": (10, 9, 9, 0, None)}
    assert ProcedureFigures.objects.get(commune__code="A").updated_by is None


def test_importing_again_replaces_figures_and_audits_only_the_changes(period, tmp_path):
    first = write_csv(tmp_path, "dot-1.csv", [HEADER, ["A", "130", "127", "127", "0", "98"], ["B", "5", "5", "5", "0", ""]])
    run("import_tthc", str(first), "--period", period.code)
    second = write_csv(tmp_path, "dot-2.csv", [HEADER, ["A", "140", "135", "133", "2", "100"], ["B", "5", "5", "5", "0", ""]])
    out = run("import_tthc", str(second), "--period", period.code)
    assert "của 2 đơn vị" in out and "; 1 đơn vị có số liệu mới hoặc thay đổi." in out
    assert figures() == {"A": (140, 135, 133, 2, 100), "B": (5, 5, 5, 0, None)}
    assert ProcedureFigures.objects.count() == 2
    changes = AuditEvent.objects.filter(action="procedure_figures_imported").order_by("id")
    latest = changes.last()
    assert changes.count() == 3 and latest.assessment.commune.code == "A"
    assert latest.old_value.startswith("tiếp nhận 130 hồ sơ") and latest.new_value.startswith("tiếp nhận 140 hồ sơ")
    assert latest.detail["old"] == {"received": 130, "processed": 127, "on_time": 127, "late": 0, "online": 98}
    assert latest.detail["new"] == {"received": 140, "processed": 135, "on_time": 133, "late": 2, "online": 100}
    # The commune whose figures did not change still names the latest file as its source.
    assert ProcedureFigures.objects.get(commune__code="B").source.startswith("dot-2.csv / ")


def test_a_bad_file_is_refused_whole_with_every_error_in_vietnamese(period, units, tmp_path):
    good = write_csv(tmp_path, "truoc.csv", [HEADER, ["B", "9", "9", "9", "0", "1"]])
    run("import_tthc", str(good), "--period", period.code)
    before, stored = database_state(), figures()
    path = write_csv(
        tmp_path,
        "loi.csv",
        [
            HEADER,
            ["A", "130", "127", "127", "0", "98"],  # fine, and still not written
            ["ZZ", "1", "1", "1", "0", ""],  # unknown commune
            ["C", "1", "1", "1", "0", ""],  # a commune of another district: not in the period
            ["", "1", "1", "1", "0", ""],
            ["B", "12,5", "-3", "mười", "", "2"],
            ["B", "10", "9", "8", "0", "11"],  # B again; 8 + 0 ≠ 9; online > received
            ["A", "10", "12", "12", "0", ""],  # A again; processed > received
        ],
    )
    lines = run_failing("import_tthc", str(path), "--period", period.code)
    assert lines == [
        "Dòng 3, cột commune_code: không có đơn vị mã “ZZ” trong kỳ đánh giá P2024.",
        "Dòng 4, cột commune_code: không có đơn vị mã “C” trong kỳ đánh giá P2024.",
        "Dòng 5, cột commune_code: chưa có mã đơn vị.",
        "Dòng 6, cột received: “12,5” không phải là số nguyên không âm.",
        "Dòng 6, cột processed: “-3” không phải là số nguyên không âm.",
        "Dòng 6, cột on_time: “mười” không phải là số nguyên không âm.",
        "Dòng 6, cột late: chưa có giá trị.",
        "Dòng 7, cột commune_code: trùng với dòng 6 (cùng đơn vị).",
        "Dòng 7, cột processed: Số hồ sơ đã giải quyết (9) phải bằng số đúng hạn cộng số trễ hạn "
        "(8 + 0 = 8).",
        "Dòng 7, cột online: Số hồ sơ nộp trực tuyến (11) vượt quá số hồ sơ tiếp nhận (10).",
        "Dòng 8, cột commune_code: trùng với dòng 2 (cùng đơn vị).",
        "Dòng 8, cột processed: Số hồ sơ đã giải quyết (12) vượt quá số hồ sơ tiếp nhận (10).",
    ]
    assert database_state() == before and figures() == stored  # nothing half-saved
    assert ProcedureFigures.objects.filter(commune=units["commune"]).count() == 0
    assert AuditEvent.objects.filter(action="procedure_file_imported").count() == 1  # truoc.csv


def test_an_unknown_period_user_or_a_missing_column_is_reported(period, tmp_path):
    path = write_csv(tmp_path, "a.csv", [HEADER, ["A", "1", "1", "1", "0", ""]])
    assert run_failing("import_tthc", str(path), "--period", "KHONG-CO", "--user", "ai") == [
        "Không có kỳ đánh giá mã “KHONG-CO”.",
        "Không có người dùng “ai”.",
    ]
    path = write_csv(tmp_path, "b.csv", [["commune_code", "received", "processed"], ["A", "1", "1"]])
    assert run_failing("import_tthc", str(path), "--period", period.code) == [
        "Thiếu cột bắt buộc “on_time” (dòng tiêu đề phải có các cột: "
        "commune_code, received, processed, on_time, late).",
        "Thiếu cột bắt buộc “late” (dòng tiêu đề phải có các cột: "
        "commune_code, received, processed, on_time, late).",
    ]
    assert not ProcedureFigures.objects.exists()


# --- the lock once published --------------------------------------------------------------


@pytest.fixture
def published(period, leader, tmp_path):
    """Figures for A imported while appraising, then the period published for real."""
    path = write_csv(tmp_path, "tthc.csv", [HEADER, ["A", "130", "127", "127", "0", "98"]])
    run("import_tthc", str(path), "--period", period.code)
    appraise_all(period)
    publish_period(period, by=leader)
    period.refresh_from_db()
    return period


def test_a_published_period_refuses_the_import(published, tmp_path):
    before = database_state()
    path = write_csv(tmp_path, "sua.csv", [HEADER, ["A", "140", "135", "133", "2", ""]])
    assert run_failing("import_tthc", str(path), "--period", published.code) == [
        "Kỳ đánh giá P2024 đã công bố kết quả; không sửa được số liệu giải quyết TTHC."
    ]
    assert figures() == {"A": (130, 127, 127, 0, 98)} and database_state() == before


def test_published_figures_refuse_save_and_delete(published):
    stored = ProcedureFigures.objects.get()
    stored.late = 1
    with pytest.raises(FrozenError, match="đã công bố kết quả"):
        stored.save()
    with pytest.raises(FrozenError):
        ProcedureFigures.objects.get().delete()
    assert figures() == {"A": (130, 127, 127, 0, 98)}


def test_reopening_for_correction_lets_the_figures_be_imported_again(published, leader, tmp_path):
    reopen_for_correction(published, by=leader, reason="Sai số liệu TTHC")
    path = write_csv(tmp_path, "sua.csv", [HEADER, ["A", "140", "135", "133", "2", ""]])
    run("import_tthc", str(path), "--period", published.code)
    assert figures() == {"A": (140, 135, 133, 2, None)}


# --- the model ----------------------------------------------------------------------------


def test_full_clean_gives_the_rules_messages_per_field(period, units):
    figures_ = ProcedureFigures(
        period=period, commune=units["commune"], received=10, processed=12, on_time=11, late=0,
        online=11,
    )
    with pytest.raises(ValidationError) as caught:
        figures_.full_clean()
    assert caught.value.message_dict == {
        "processed": [
            "Số hồ sơ đã giải quyết (12) phải bằng số đúng hạn cộng số trễ hạn (11 + 0 = 11).",
            "Số hồ sơ đã giải quyết (12) vượt quá số hồ sơ tiếp nhận (10).",
        ],
        "online": ["Số hồ sơ nộp trực tuyến (11) vượt quá số hồ sơ tiếp nhận (10)."],
    }
    outside = ProcedureFigures(
        period=period, commune=units["far_commune"], received=1, processed=1, on_time=1, late=0
    )
    with pytest.raises(ValidationError) as caught:
        outside.full_clean()
    assert caught.value.message_dict == {
        "commune": ["Đơn vị này không được đánh giá trong kỳ P2024."]
    }


@pytest.mark.parametrize(
    "counts",
    [
        {"received": 10, "processed": 9, "on_time": 8, "late": 0},
        {"received": 10, "processed": 11, "on_time": 11, "late": 0},
        {"received": 10, "processed": 9, "on_time": 9, "late": 0, "online": 11},
    ],
)
def test_the_database_keeps_the_relations_too(period, units, counts):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedureFigures.objects.create(period=period, commune=units["commune"], **counts)


def test_one_row_per_period_and_commune(period, units):
    ProcedureFigures.objects.create(
        period=period, commune=units["commune"], received=1, processed=1, on_time=1, late=0
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedureFigures.objects.create(
            period=period, commune=units["commune"], received=2, processed=2, on_time=2, late=0
        )


# --- the admin ----------------------------------------------------------------------------

ADMIN = "/admin/scoring/procedurefigures/"


@pytest.fixture
def imported(period, tmp_path):
    path = write_csv(
        tmp_path, "tthc.csv", [HEADER, ["A", "130", "127", "127", "0", "98"], ["B", "52", "50", "47", "3", ""]]
    )
    run("import_tthc", str(path), "--period", period.code)
    return period


def test_admin_lists_filters_and_searches_the_figures(admin_client, imported, units):
    from tests.factories import make_period

    other = make_period(units["district"], code="P2025", year=2025)
    ProcedureFigures.objects.create(
        period=other, commune=units["commune"], received=7, processed=7, on_time=7, late=0
    )
    page = admin_client.get(ADMIN).content.decode()
    for heading in ("Hồ sơ tiếp nhận", "Đã giải quyết", "Đúng hạn", "Trễ hạn", "Tỷ lệ trễ hạn",
                    "Nộp trực tuyến", "Nguồn số liệu"):
        assert heading in page
    assert "Xã Đồng Tâm" in page and "6%" in page and "P2025" in page
    page = admin_client.get(f"{ADMIN}?period__id__exact={other.pk}").content.decode()
    assert "Xã Đồng Tâm" in page and "Thị trấn Ninh Giang" not in page
    page = admin_client.get(f"{ADMIN}?q=Ninh+Giang").content.decode()
    assert "Thị trấn Ninh Giang" in page and "Xã Đồng Tâm" not in page


def form_data(period, commune, **counts):
    return {"period": period.pk, "commune": commune.pk, "online": "", **counts}


def test_admin_typed_figures_are_checked_marked_and_audited(admin_client, admin_user, imported, units):
    response = admin_client.post(
        f"{ADMIN}add/",
        form_data(imported, units["far_commune"], received=5, processed=6, on_time=6, late=0),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Đơn vị này không được đánh giá trong kỳ P2024." in page
    assert "Số hồ sơ đã giải quyết (6) vượt quá số hồ sơ tiếp nhận (5)." in page
    stored = ProcedureFigures.objects.get(commune__code="B")
    response = admin_client.post(
        f"{ADMIN}{stored.pk}/change/", {"received": 52, "processed": 50, "on_time": 48, "late": 2, "online": 20}
    )
    assert response.status_code == 302
    stored.refresh_from_db()
    assert (stored.on_time, stored.late, stored.online, stored.source) == (48, 2, 20, "nhập tay")
    assert stored.updated_by == admin_user
    event = AuditEvent.objects.get(action="procedure_figures_typed")
    assert event.assessment.commune.code == "B" and event.user == admin_user
    assert "đúng hạn 47, trễ hạn 3" in event.old_value and "đúng hạn 48, trễ hạn 2" in event.new_value


def test_admin_pages_of_a_published_period_are_view_only(admin_client, published):
    stored = ProcedureFigures.objects.get()
    change = f"{ADMIN}{stored.pk}/change/"
    page = admin_client.get(change).content.decode()
    assert "kết quả của kỳ đánh giá P2024 đã công bố" in page and 'name="received"' not in page
    response = admin_client.post(change, {"received": 1, "processed": 1, "on_time": 1, "late": 0})
    assert response.status_code == 403
    assert admin_client.post(f"{ADMIN}{stored.pk}/delete/", {"post": "yes"}).status_code == 403
    response = admin_client.post(
        f"{ADMIN}add/", form_data(published, stored.commune, received=1, processed=1, on_time=1, late=0)
    )
    assert "không sửa được số liệu giải quyết TTHC" in response.content.decode()
    assert figures() == {"A": (130, 127, 127, 0, 98)}


def test_the_appraisal_page_shows_the_communes_figures(client, period, units, appraiser, tmp_path):
    assessment = submitted(period, units["commune"])
    path = write_csv(tmp_path, "tthc.csv", [HEADER, ["A", "130", "127", "127", "0", "98"]])
    run("import_tthc", str(path), "--period", period.code)
    client.force_login(appraiser)
    page = client.get(
        reverse("scoring:assessment", args=[period.code, units["commune"].code])
    ).content.decode()
    assert "Số liệu giải quyết thủ tục hành chính" in page
    assert "Tiếp nhận 130 hồ sơ, đã giải quyết 127, đúng hạn 127, trễ hạn 0 (0% trễ hạn)" in page
    other = submitted(period, units["other_commune"])  # no figures: no card
    response = client.get(reverse("scoring:assessment", args=[period.code, other.commune.code]))
    assert response.status_code == 200 and "Điểm thưởng, điểm trừ" in response.content.decode()
    assert "Số liệu giải quyết thủ tục hành chính" not in response.content.decode()
