"""The ranking PDF of a publication version: rendered once, stored, never replaced; a failure
to render never touches the publication."""

import pytest

from reports.pdf import store_ranking_pdf
from scoring.models import FrozenError, Publication


def test_the_ranking_pdf_is_stored_once(publication, monkeypatch):
    calls = []

    def render(publication):
        calls.append(publication.pk)
        return b"%PDF-1.7 xep hang\n%%EOF\n"

    monkeypatch.setattr("reports.pdf.ranking_pdf", render)
    assert store_ranking_pdf(publication) is True and calls == [publication.pk]
    publication.refresh_from_db()
    code = publication.period.code
    assert publication.ranking_pdf.name.startswith(f"publications/{code}-lan-1-xep-hang")
    with publication.ranking_pdf.open("rb") as stored:
        assert stored.read().startswith(b"%PDF-1.7 xep hang")
    assert store_ranking_pdf(publication) is True and calls == [publication.pk]  # not again
    with pytest.raises(FrozenError):
        publication.save(update_fields=["ranking_pdf"])  # stored once, never replaced


def test_a_rendering_failure_is_logged_and_leaves_the_publication_as_it_was(
    publication, monkeypatch, caplog
):
    def render(publication):
        raise RuntimeError("font missing")

    monkeypatch.setattr("reports.pdf.ranking_pdf", render)
    assert store_ranking_pdf(publication) is False
    assert not Publication.objects.get(pk=publication.pk).ranking_pdf
    assert publication.results.count() == 20
    assert "Không tạo được tệp PDF xếp hạng" in caplog.text
