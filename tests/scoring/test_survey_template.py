"""The survey import page's blank templates (issue 14 item 5): XLSX and CSV with the ◆ columns
and Vietnamese help rows; a template filled in below its help rows imports as it is (the
importer skips rows starting with "#"), through the page an appraiser uses."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from scoring.models import Criterion, Method, Score
from scoring.services.survey_import import OPTIONAL, REQUIRED

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey_period(period):
    Criterion.objects.filter(criteria_set=period.criteria_set, code="2.1").update(method=Method.SURVEY)
    return period


def _csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx_rows(body: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(body)).active
    return [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_a_filled_in_template_imports_as_it_is(client, survey_period, appraiser, extension):
    client.force_login(appraiser)
    page = client.get(reverse("scoring:survey", args=[survey_period.code])).content.decode()
    url = reverse(f"scoring:survey_template_{extension}", args=[survey_period.code])
    assert f'href="{url}"' in page
    assert 'class="file-input"' in page and "Chọn tệp…" in page  # the styled picker

    response = client.get(url)
    assert response.status_code == 200
    assert f'filename="mau-khao-sat-{survey_period.code}.{extension}"' in response["Content-Disposition"]
    body = response.content
    rows = _csv_rows(body) if extension == "csv" else _xlsx_rows(body)
    assert list(rows[0][:4]) == list(REQUIRED + OPTIONAL)
    help_rows = rows[1:]
    assert len(help_rows) == 3 and all(row[0].startswith("# ") for row in help_rows)
    assert "Dòng hướng dẫn" in help_rows[0][0] and "2.1 (tối đa 4 điểm)" in help_rows[2][0]

    # Filled in below the help rows, in the same format, and sent back through the page.
    if extension == "csv":
        filled = body + "A,2.1,\"87,5\",300\n".encode()
    else:
        workbook = load_workbook(io.BytesIO(body))
        workbook.active.append(["A", "2.1", 87.5, 300])
        out = io.BytesIO()
        workbook.save(out)
        filled = out.getvalue()
    upload = SimpleUploadedFile(f"mau.{extension}", filled)
    target = reverse("scoring:survey", args=[survey_period.code])
    response = client.post(target, {"file": upload, "as_percent": "1"}, follow=True)
    assert "Đã nhập 1 điểm của 1 tiêu chí cho 1 đơn vị" in response.content.decode()
    score = Score.objects.get(assessment__commune__code="A", criterion__code="2.1")
    assert score.appraised_score == D("3.5")


def test_the_template_alone_has_no_data_rows(client, survey_period, appraiser):
    client.force_login(appraiser)
    body = client.get(reverse("scoring:survey_template_csv", args=[survey_period.code])).content
    target = reverse("scoring:survey", args=[survey_period.code])
    response = client.post(target, {"file": SimpleUploadedFile("mau.csv", body)})
    assert response.status_code == 422
    assert "không có dòng dữ liệu nào" in response.content.decode()


def test_only_the_periods_managers_get_the_template(client, survey_period, leader, officer):
    for user in (leader, officer):
        client.force_login(user)
        url = reverse("scoring:survey_template_xlsx", args=[survey_period.code])
        assert client.get(url).status_code == 403


def test_the_page_previews_the_first_rows_then_imports_the_same_file(client, survey_period, appraiser):
    client.force_login(appraiser)
    target = reverse("scoring:survey", args=[survey_period.code])
    body = client.get(reverse("scoring:survey_template_csv", args=[survey_period.code])).content
    body += "A,2.1,\"87,5\",300\nB,2.1,50,120\n".encode()
    response = client.post(
        target, {"file": SimpleUploadedFile("xhh.csv", body), "action": "preview", "as_percent": "1"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Xem trước: xhh.csv (2 dòng dữ liệu)" in page
    assert "<td>87,5</td>" in page and "<td>120</td>" in page
    assert Score.objects.get(assessment__commune__code="A", criterion__code="2.1").appraised_score is None

    response = client.post(target, {"action": "import_previewed", "as_percent": "1"}, follow=True)
    assert "Đã nhập 2 điểm của 1 tiêu chí cho 2 đơn vị" in response.content.decode()
    assert Score.objects.get(assessment__commune__code="A", criterion__code="2.1").appraised_score == D("3.5")
    # Imported: the held file is gone; importing "it" again asks for a file.
    response = client.post(target, {"action": "import_previewed"})
    assert response.status_code == 422 and "Chưa chọn tệp." in response.content.decode()
