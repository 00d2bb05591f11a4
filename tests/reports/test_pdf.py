"""The PDFs read back: pdftotext -layout for the text, pypdf for pages, size and fonts."""

import io
import subprocess

import pytest
from pypdf import PdfReader

import printing
from printing import render_pdf
from reports.pdf import commune_report_pdf, ranking_pdf
from scoring.models import Result
from scoring.selectors import publication_for

A4_SHORT, A4_LONG = 595, 842  # points


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode("utf-8")


def page_size(reader):
    box = reader.pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


def fonts(reader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.fixture
def latest(publication):
    return publication_for(publication.period)


def test_ranking_pdf_is_a4_landscape_with_heading_rows_counts_and_page_numbers(latest):
    content = ranking_pdf(latest)
    reader = PdfReader(io.BytesIO(content))
    assert page_size(reader) == (A4_LONG, A4_SHORT)
    assert any("DejaVu-Sans" in name for name in fonts(reader))
    text = pdf_text(content)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "UBND HUYỆN NINH GIANG" in text
    assert "Chỉ số CCHC năm 2022 của UBND các xã, thị trấn huyện Ninh Giang" in text
    assert "Quyết định số 766/QĐ-UBND ngày 16/03/2023" in text
    # Place and date as Nghị định 30/2020/NĐ-CP writes them (no leading zero for March).
    assert "Ninh Giang, ngày 16 tháng 3 năm 2023" in text
    assert "Lần công bố 1" in text and "Dữ liệu tại ngày" in text
    dong_tam = next(line for line in text.splitlines() if "Xã Đồng Tâm" in line)
    assert "9/20" in dong_tam and "87,75" in dong_tam and "11,84" in dong_tam
    assert "Hoàn thành tốt nhiệm vụ" in dong_tam
    assert "Tổng hợp xếp loại" in text
    assert "Trang 1/" in text and "Ngày in:" in text
    # Every page carries the version and decision line.
    assert text.count("766/QĐ-UBND") >= len(reader.pages)


def test_old_version_pdf_says_a_newer_one_exists(latest):
    latest.latest_version = latest.version + 1
    assert "Đã có bản điều chỉnh mới hơn" in pdf_text(ranking_pdf(latest))


def test_commune_report_is_a4_portrait_with_ranks_weak_fields_and_lost_criteria(latest):
    result = Result.objects.select_related("commune").get(publication=latest, commune__code="A")
    result.publication = latest
    content = commune_report_pdf(result)
    reader = PdfReader(io.BytesIO(content))
    assert page_size(reader) == (A4_SHORT, A4_LONG)
    text = pdf_text(content)
    flat = " ".join(text.split())
    assert "Xã Đồng Tâm" in text
    assert "Ninh Giang, ngày 16 tháng 3 năm 2023" in flat
    assert "87,75/100" in flat and "xếp thứ 9/20" in flat
    assert "Hoàn thành tốt nhiệm vụ" in flat
    assert "xếp hạng 17/20 hạng" in flat  # field 1, dense rank among 20 distinct values
    assert "1,577" in flat
    assert "Lĩnh vực 6. Cải cách tài chính công: 5/7 điểm (71,43%)" in flat  # weak field
    assert "+2,38 điểm" in flat and "năm trước 85,37 điểm" in flat
    assert "Các tiêu chí bị mất điểm nhiều nhất" in flat
    assert "Tổng số điểm bị mất: 12,253 điểm" in flat
    assert "Quyết định số 766/QĐ-UBND ngày 16/03/2023" in flat
    assert "Trang 1/" in text
    assert any("DejaVu-Sans" in name for name in fonts(reader))


def test_pdf_fetcher_reads_static_files_from_disk_and_refuses_the_network():
    fetcher = printing._fetcher_class()()
    css = fetcher.fetch(printing.BASE_URL + "static/css/print.css")
    assert b"@page" in css.read() and css.content_type == "text/css"
    refused = ("http://example.com/x.png", "https://cchc.invalid/media/x.pdf", "file:///etc/passwd")
    for url in refused:
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_render_pdf_of_a_page_with_a_remote_image(settings, tmp_path):
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], tmp_path]}]
    (tmp_path / "remote.html").write_text(
        '{% extends "print.html" %}{% block content %}'
        '<img src="http://example.com/x.png"><p>Xin chào Việt Nam</p>{% endblock content %}',
        encoding="utf-8",
    )
    text = pdf_text(render_pdf("remote.html", {}))
    assert "Xin chào Việt Nam" in text and "Trang 1/1" in text
