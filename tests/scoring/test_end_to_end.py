"""A district's year through the ◆ commands (docs/design.md §6), checked against figures worked out
by hand: import_units → import_criteria → create_period → import_scores → publish →
export_results.

Huyện Ninh Giang, 20 communes, a small set of three fields (40 + 35 + 25 = 100 points, so the
index equals the total). The expected ranking below was computed by hand:
- field 1 = 1.1 + 1.2, field 2 = 2.1 + 2.2, field 3 = 3.1; total = the three fields;
- printed totals 87,745 (Hồng Đức), 87,747 (Đồng Tâm) and 87,75 (Ninh Hải) all read "87,75":
  they share rank 9 ("đồng hạng"), and 87,744 (An Đức) reads "87,74": rank 12, not 10;
- 89,995 prints "90": "xuất sắc"; 79,995 prints "80": "tốt"; 79,994 prints "79,99"; 70 is
  "hoàn thành nhiệm vụ";
- ties in fields share a dense rank: field 2 at 35 is "1/13" twice, at 32 "7/13" four times;
  field 1 at 34 is "9/16" three times.
"""

import csv
import io
import subprocess
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from scoring import notices
from scoring.models import Assessment, Period, Publication, Result
from scoring.services.publishing import reopen_for_correction
from scoring.tasks import send_notice

from ..factories import make_user

pytestmark = pytest.mark.django_db

UNITS = """code,name,kind,parent_code
30,Tỉnh Hải Dương,Tỉnh,
288,Huyện Ninh Giang,Huyện,30
11100,Thị trấn Ninh Giang,Thị trấn,288
11101,Xã Hưng Long,Xã,288
11102,Xã Kiến Quốc,Xã,288
11103,Xã Tân Hương,Xã,288
11104,Xã Hồng Dụ,Xã,288
11105,Xã Vĩnh Hòa,Xã,288
11106,Xã Hiệp Lực,Xã,288
11107,Xã Nghĩa An,Xã,288
11108,Xã Ứng Hòe,Xã,288
11109,Xã Đồng Tâm,Xã,288
11110,Xã Hồng Đức,Xã,288
11111,Xã Ninh Hải,Xã,288
11112,Xã An Đức,Xã,288
11113,Xã Tân Phong,Xã,288
11114,Xã Đức Phúc,Xã,288
11115,Xã Văn Hội,Xã,288
11116,Xã Hồng Phong,Xã,288
11117,Xã Hồng Phúc,Xã,288
11118,Xã Tân Quang,Xã,288
11119,Xã Hưng Thái,Xã,288
"""

CRITERIA = """code,parent_code,name,max_points,method,evidence_required
1,,"Công tác chỉ đạo, điều hành CCHC",40,self_assessed,
1.1,1,Ban hành kế hoạch CCHC năm,15,self_assessed,có
1.2,1,Mức độ hoàn thành kế hoạch,25,self_assessed,có
2,,Cải cách thủ tục hành chính,35,self_assessed,
2.1,2,Công khai thủ tục hành chính,20,self_assessed,có
2.2,2,"Tỷ lệ hồ sơ giải quyết đúng hạn",15,computed,
3,,"Sự hài lòng của người dân, tổ chức (SIPAS)",25,sipas,
3.1,3,Chỉ số hài lòng SIPAS,25,sipas,
"""

# commune → leaves 1.1, 1.2, 2.1, 2.2, 3.1 (appraised; the self score is given as the maximum
# where the appraisal took points off).
LEAVES = {
    "11101": "15 25 20 15 24,5",
    "11102": "14,5 24 20 15 23,75",
    "11103": "14 23,5 19 14,5 23",
    "11104": "13,5 23 19 14 20,495",
    "11105": "13 22,5 18,5 14 21,5",
    "11106": "13 22 18 14 21,75",
    "11107": "12,5 22,5 18 14 18,25",
    "11108": "12,75 22 18 14 21,005",
    "11109": "12 21,5 18 14,5 21,747",
    "11110": "12,5 21,5 17,5 15 21,245",
    "11111": "12 22 17,75 14,5 21,5",
    "11112": "12 22 17,5 14,5 21,744",
    "11113": "11,5 21 17 13,5 22",
    "11114": "11 20,5 16,5 13 21",
    "11115": "10 20 16 13 20,995",
    "11116": "10 20 16 13 20,994",
    "11117": "9,5 19 15 12 20",
    "11118": "9 18 14 12 17",
    "11119": "8 17 13 11 16,5",
    "11100": "13 24 19,5 15 22,75",
}
MAXIMA = {"1.1": "15", "1.2": "25", "2.1": "20", "2.2": "15", "3.1": "25"}

HEADER = (
    "commune_code,commune_name,total,index,rank,rank_of,classification,"
    "1_score,1_rank,1_rank_of,2_score,2_rank,2_rank_of,3_score,3_rank,3_rank_of"
)
XS, TOT, HT, CHT = (
    "Hoàn thành xuất sắc nhiệm vụ",
    "Hoàn thành tốt nhiệm vụ",
    "Hoàn thành nhiệm vụ",
    "Chưa hoàn thành nhiệm vụ",
)
# By rank. Worked out by hand (see the module docstring).
EXPECTED = [
    f"11101,Xã Hưng Long,99.5,99.5,1,20,{XS},40,1,16,35,1,13,24.5,1,19",
    f"11102,Xã Kiến Quốc,97.25,97.25,2,20,{XS},38.5,2,16,35,1,13,23.75,2,19",
    f"11100,Thị trấn Ninh Giang,94.25,94.25,3,20,{XS},37,4,16,34.5,2,13,22.75,4,19",
    f"11103,Xã Tân Hương,94,94,4,20,{XS},37.5,3,16,33.5,3,13,23,3,19",
    f"11104,Xã Hồng Dụ,89.995,89.995,5,20,{XS},36.5,5,16,33,4,13,20.495,15,19",
    f"11105,Xã Vĩnh Hòa,89.5,89.5,6,20,{TOT},35.5,6,16,32.5,5,13,21.5,9,19",
    f"11106,Xã Hiệp Lực,88.75,88.75,7,20,{TOT},35,7,16,32,7,13,21.75,6,19",
    f"11108,Xã Ứng Hòe,87.755,87.755,8,20,{TOT},34.75,8,16,32,7,13,21.005,11,19",
    f"11110,Xã Hồng Đức,87.745,87.745,9,20,{TOT},34,9,16,32.5,5,13,21.245,10,19",
    f"11111,Xã Ninh Hải,87.75,87.75,9,20,{TOT},34,9,16,32.25,6,13,21.5,9,19",
    f"11109,Xã Đồng Tâm,87.747,87.747,9,20,{TOT},33.5,10,16,32.5,5,13,21.747,7,19",
    f"11112,Xã An Đức,87.744,87.744,12,20,{TOT},34,9,16,32,7,13,21.744,8,19",
    f"11107,Xã Nghĩa An,85.25,85.25,13,20,{TOT},35,7,16,32,7,13,18.25,17,19",
    f"11113,Xã Tân Phong,85,85,14,20,{TOT},32.5,11,16,30.5,8,13,22,5,19",
    f"11114,Xã Đức Phúc,82,82,15,20,{TOT},31.5,12,16,29.5,9,13,21,12,19",
    f"11115,Xã Văn Hội,79.995,79.995,16,20,{TOT},30,13,16,29,10,13,20.995,13,19",
    f"11116,Xã Hồng Phong,79.994,79.994,17,20,{HT},30,13,16,29,10,13,20.994,14,19",
    f"11117,Xã Hồng Phúc,75.5,75.5,18,20,{HT},28.5,14,16,27,11,13,20,16,19",
    f"11118,Xã Tân Quang,70,70,19,20,{HT},27,15,16,26,12,13,17,18,19",
    f"11119,Xã Hưng Thái,65.5,65.5,20,20,{CHT},25,16,16,24,13,13,16.5,19,19",
]


def command(name, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *[str(a) for a in args], stdout=out, stderr=err)
    assert err.getvalue() == ""
    return out.getvalue()


def scores_file(path):
    """Half the values with "," decimals (quoted), half with "."; a note where points were lost."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["commune_code", "criterion_code", "self_score", "appraised_score", "note"])
    for i, (commune, values) in enumerate(LEAVES.items()):
        for leaf, value in zip(MAXIMA, values.split(), strict=True):
            shown = value if i % 2 else value.replace(",", ".")
            lost = value != MAXIMA[leaf]
            writer.writerow([commune, leaf, MAXIMA[leaf], shown, "Thiếu tài liệu kiểm chứng" if lost else ""])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def run_the_year(tmp_path):
    """The commands up to publishing; returns the period."""
    make_user("phongnoivu", first_name="Phòng Nội vụ")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    (tmp_path / "criteria.csv").write_text(CRITERIA, encoding="utf-8")
    assert "22 đơn vị" in command("import_units", tmp_path / "units.csv")
    command(
        "import_criteria", tmp_path / "criteria.csv", "--code", "NG-BTC-2022",
        "--name", "Bộ chỉ số CCHC cấp xã huyện Ninh Giang", "--legal-basis", "QĐ 3395/QĐ-UBND",
    )
    out = command(
        "create_period", "--code", "NG-2022", "--year", "2022", "--criteria", "NG-BTC-2022",
        "--unit", "288", "--opens-on", "01/12/2022", "--self-assessment-due", "31/12/2022",
        "--appraisal-due", "28/02/2023",
    )
    assert "20 hồ sơ" in out
    out = command("import_scores", scores_file(tmp_path / "diem.csv"), "--period", "NG-2022",
                  "--user", "phongnoivu")
    assert "Đã nhập 100 điểm của 20 đơn vị" in out
    out = command("publish", "NG-2022", "--decision", "766/QĐ-UBND", "--decision-date", "16/03/2023",
                  "--user", "phongnoivu")
    assert out.strip() == (
        "Đã công bố kết quả kỳ NG-2022 lần 1: 20 đơn vị được xếp hạng (5 đơn vị hoàn thành xuất "
        "sắc nhiệm vụ; 11 đơn vị hoàn thành tốt nhiệm vụ; 3 đơn vị hoàn thành nhiệm vụ; 1 đơn vị "
        "chưa hoàn thành nhiệm vụ)."
    )
    return Period.objects.get(code="NG-2022")


def test_a_district_year_from_files_to_the_published_csv(tmp_path):
    period = run_the_year(tmp_path)
    assert period.status == Period.Status.PUBLISHED
    publication = Publication.objects.get(period=period)
    assert (publication.version, publication.decision, str(publication.decision_date)) == (
        1, "766/QĐ-UBND", "2023-03-16"
    )
    assert publication.published_by.username == "phongnoivu"
    assert set(period.assessments.values_list("status", flat=True)) == {Assessment.Status.PUBLISHED}

    output = tmp_path / "ket-qua.csv"
    assert "lần công bố 1" in command("export_results", "NG-2022", "--format", "csv", "--output", output)
    data = output.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8").splitlines()
    assert lines[0] == HEADER
    body = lines[1:]
    assert sorted(body) == sorted(EXPECTED)
    # One row per commune by rank; within the shared rank 9 the order is the reports' choice.
    assert body[:8] == EXPECTED[:8] and body[11:] == EXPECTED[11:]

    dong_tam = Result.objects.get(commune__code="11109")
    assert (dong_tam.total, dong_tam.index, dong_tam.applicable_max) == (
        Decimal("87.747"), Decimal("87.747"), Decimal(100)
    )


def test_the_excel_and_pdf_exports_and_the_stored_ranking_pdf(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_the_year(tmp_path)
    publication = Publication.objects.get()
    assert publication.ranking_pdf  # rendered after the commit and stored once
    with publication.ranking_pdf.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"

    xlsx = tmp_path / "ket-qua.xlsx"
    command("export_results", "NG-2022", "--format", "xlsx", "--output", xlsx)
    book = load_workbook(xlsx, data_only=True)
    table = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if rows and rows[0] and rows[0][0] == "commune_code":
            table = {row[0]: row for row in rows[1:]}
    assert len(table) == 20
    assert float(table["11109"][2]) == pytest.approx(87.747) and table["11109"][4] == 9

    pdf = tmp_path / "xep-hang.pdf"
    command("export_results", "NG-2022", "--format", "PDF", "--output", pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Xã Đồng Tâm" in text and "87,75" in text and "766/QĐ-UBND" in text


def test_the_commands_refuse_clearly(tmp_path, django_capture_on_commit_callbacks):
    run_the_year(tmp_path)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("publish", "NG-2022", "--reason", "Lần nữa", stdout=io.StringIO(), stderr=err)
    assert "đã công bố kết quả (lần 1). Mở lại để điều chỉnh" in err.getvalue()
    assert Publication.objects.count() == 1
    reopen_for_correction(Period.objects.get(code="NG-2022"), by=None, reason="Sửa số quyết định")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("publish", "NG-2022", stdout=io.StringIO(), stderr=err)
    assert "công bố lần 2 cần nêu lý do" in err.getvalue()
    with django_capture_on_commit_callbacks() as callbacks:
        out = command("publish", "NG-2022", "--reason", "Sửa số quyết định", "--decision",
                      "767/QĐ-UBND", "--exclude", "11119:Đang thanh tra", "--no-pdf")
    # No PDF rendered ahead: only the notice of the publication (scoring/notices.py), sent as
    # a task (scoring/tasks.py).
    assert [(callback.func, callback.args[0]) for callback in callbacks] == [
        (send_notice.delay, notices.period_published.__name__)
    ]
    assert "lần 2: 19 đơn vị" in out and "không xếp hạng: 11119" in out
    for args, message in [
        (("publish", "NG-2022", "--exclude", "11119"), "--exclude “11119”: cần dạng MÃ:lý do."),
        (("publish", "KHONG", "--decision-date", "30/02/2023"), "Không có kỳ đánh giá mã “KHONG”."),
        (("export_results", "NG-2022", "--format", "docx", "--output", tmp_path / "x"),
         "--format “docx” không hợp lệ (dùng csv, xlsx hoặc pdf)."),
        (("export_results", "NG-2022", "--format", "csv", "--output", tmp_path / "khong" / "x.csv"),
         "Không có thư mục"),
    ]:
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command(*[str(a) for a in args], stdout=io.StringIO(), stderr=err)
        assert message in err.getvalue()
    # The CSV now gives version 2 (19 communes); version 1 is unchanged.
    output = tmp_path / "v2.csv"
    command("export_results", "NG-2022", "--format", "csv", "--output", output)
    assert len(output.read_text(encoding="utf-8").splitlines()) == 20
    assert Result.objects.filter(publication__version=1).count() == 20
