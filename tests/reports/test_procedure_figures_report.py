"""The commune report prints the commune's TTHC figures for the period after its fields table
(docs/design.md §8 "TTHC figures where available"), and nothing when there are none."""

import io

import pytest
from django.core.management import call_command

from reports.pdf import commune_report_pdf
from reports.selectors import commune_report
from scoring.models import Publication, Result
from scoring.selectors import publication_for
from scoring.services.publishing import publish_period, reopen_for_correction
from tests.files import run, write_csv

from ..scoring.publish_data import appraise_all
from .test_pdf import pdf_text

pytestmark = pytest.mark.django_db

BLOCK = (
    "Kết quả giải quyết thủ tục hành chính: tiếp nhận 130 hồ sơ, đã giải quyết 127, đúng hạn "
    "127, trễ hạn 0 (0% trễ hạn); nộp trực tuyến 98."
)


def report_text(publication, code) -> str:
    result = Result.objects.select_related("commune").get(
        publication=publication, commune__code=code
    )
    result.publication = publication
    return " ".join(pdf_text(commune_report_pdf(result)).split())


def test_the_report_prints_the_figures_imported_before_publishing(period, leader, tmp_path):
    path = write_csv(
        tmp_path,
        "tthc.csv",
        [["commune_code", "received", "processed", "on_time", "late", "online"],
         ["A", "130", "127", "127", "0", "98"]],
    )
    run("import_tthc", str(path), "--period", period.code)
    appraise_all(period)
    publication = publication_for(publish_period(period, by=leader).period)
    text = report_text(publication, "A")
    assert BLOCK in text
    # After the fields table, before the weak fields.
    assert text.index("Tổng cộng") < text.index(BLOCK) < text.index("Lĩnh vực yếu")
    assert "Kết quả giải quyết thủ tục hành chính" not in report_text(publication, "B")


def test_commune_report_takes_two_queries(publication, django_assert_num_queries):
    latest = publication_for(publication.period)
    result = Result.objects.select_related("commune").get(publication=latest, commune__code="A")
    result.publication = latest
    # fields, last year's result in the version compared with (the figures and the lost
    # criteria are in the Result; no score is read)
    with django_assert_num_queries(2):
        report = commune_report(result)
    assert report.procedure == ""


def test_a_version_keeps_the_figures_it_published(period, leader, tmp_path):
    header = ["commune_code", "received", "processed", "on_time", "late", "online"]
    first = write_csv(tmp_path, "tthc.csv", [header, ["A", "130", "127", "127", "0", "98"]])
    run("import_tthc", str(first), "--period", period.code)
    appraise_all(period)
    version_1 = publish_period(period, by=leader)
    reopen_for_correction(period, by=leader, reason="Số liệu TTHC cập nhật")
    second = write_csv(tmp_path, "tthc-2.csv", [header, ["A", "131", "130", "128", "2", "99"]])
    run("import_tthc", str(second), "--period", period.code)
    version_2 = publish_period(period, by=leader, reason="Cập nhật số liệu TTHC")
    assert BLOCK in report_text(publication_for(period, version_1.version), "A")
    assert "tiếp nhận 131 hồ sơ, đã giải quyết 130, đúng hạn 128, trễ hạn 2 (1,54% trễ hạn)" in (
        report_text(publication_for(period, version_2.version), "A")
    )


def test_the_demo_prints_dong_tams_2022_figures(db):
    call_command("load_demo", "--if-empty", stdout=io.StringIO())
    publication = publication_for(Publication.objects.get(period__code="NG-2022").period)
    text = report_text(publication, "HD-NG-02")
    assert (
        "Kết quả giải quyết thủ tục hành chính: tiếp nhận 127 hồ sơ, đã giải quyết 127, đúng hạn "
        "127, trễ hạn 0 (0% trễ hạn)." in text
    )
    assert "87,75/100" in text  # the published figures are those of test_demo
