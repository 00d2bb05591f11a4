"""What the faster ranking PDF keeps: each cell's second line ("r/N" under the score, points
under the rank change) now split by a newline character instead of <br>, and the garbage
collector paused during rendering and always restored."""

import gc
import subprocess

import pytest
import weasyprint

from printing import render_pdf
from reports.pdf import ranking_pdf
from scoring.selectors import publication_for


def pdf_lines(content: bytes) -> list[str]:
    command = ["pdftotext", "-layout", "-", "-"]
    text = subprocess.run(command, input=content, capture_output=True, check=True).stdout
    return text.decode("utf-8").splitlines()


def test_field_ranks_and_points_change_are_printed_under_the_scores(publication):
    lines = pdf_lines(ranking_pdf(publication_for(publication.period)))
    at = next(i for i, line in enumerate(lines) if "Xã Đồng Tâm" in line)
    scores, ranks = lines[at], lines[at + 1]
    assert scores.split()[:6] == ["9/20", "Xã", "Đồng", "Tâm", "11,84", "4,75"]
    assert "87,75" in scores and "tăng 3 bậc" in scores and "17/20" not in scores
    assert ranks.split()[:3] == ["17/20", "5/19", "7/19"]  # fields 1-3: r/N hạng
    assert ranks.rstrip().endswith("+2,38 điểm")


def test_render_pdf_pauses_the_garbage_collector_and_restores_it(monkeypatch):
    write_pdf = weasyprint.HTML.write_pdf
    enabled_while_writing = []

    def spy(self, *args, **kwargs):
        enabled_while_writing.append(gc.isenabled())
        return write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", spy)
    assert gc.isenabled()
    assert render_pdf("print.html", {}).startswith(b"%PDF")
    assert enabled_while_writing == [False] and gc.isenabled()


def test_a_failed_render_restores_the_garbage_collector(monkeypatch):
    def fail(self, *args, **kwargs):
        raise RuntimeError("không đọc được phông chữ")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", fail)
    with pytest.raises(RuntimeError):
        render_pdf("print.html", {})
    assert gc.isenabled()
