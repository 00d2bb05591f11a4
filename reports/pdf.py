"""The published results as PDF (printing.render_pdf): the ranking (A4 landscape) and a
commune's report (A4 portrait).

Laying out a 170-row ranking takes seconds, so each publication version's ranking is
rendered once and kept in `Publication.ranking_pdf`: after the publish command's commit
(`store_ranking_pdf`, passed to publish_period as its after_commit hook) or on the first
download (`stored_ranking_pdf`).
"""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile

from printing import render_pdf
from scoring.models import Publication

from .selectors import commune_report, ranking

logger = logging.getLogger(__name__)

def ranking_pdf(publication) -> bytes:
    """The ranking of one publication version (A4 landscape), as PDF bytes."""
    return render_pdf("reports/ranking_print.html", {"ranking": ranking(publication)})


def commune_report_pdf(result) -> bytes:
    """One commune's report (A4 portrait) from its published Result, as PDF bytes."""
    return render_pdf("reports/commune_report_print.html", {"report": commune_report(result)})


def has_stored_ranking_pdf(publication) -> bool:
    file = publication.ranking_pdf
    return bool(file.name) and file.storage.exists(file.name)


def store_ranking_pdf(publication: Publication) -> bool:
    """Render the publication's ranking PDF and store it on the publication, once.

    The publish command runs it after the commit (design.md §10: slow side effects after the
    commit). Returns False, after logging, when rendering or storing fails: the publication
    itself stands, and the PDF is rendered on demand instead.
    """
    try:
        publication = Publication.objects.select_related("period").get(pk=publication.pk)
        if publication.ranking_pdf:
            return True
        data = ranking_pdf(publication)
        name = f"{publication.period.code}-lan-{publication.version}-xep-hang.pdf"
        publication.ranking_pdf.save(name, ContentFile(data), save=False)
        publication.save(update_fields=["ranking_pdf"])
    except Exception:
        logger.exception("Không tạo được tệp PDF xếp hạng của lần công bố %s", publication.pk)
        return False
    return True


def stored_ranking_pdf(publication):
    """The publication's stored ranking PDF (a FieldFile), rendered and stored first when the
    publish step did not; None when it cannot be stored (the caller then renders it on the
    fly)."""
    if not has_stored_ranking_pdf(publication) and not publication.ranking_pdf.name:
        store_ranking_pdf(publication)
        stored = Publication.objects.values_list("ranking_pdf", flat=True).get(pk=publication.pk)
        publication.ranking_pdf.name = stored
    return publication.ranking_pdf if has_stored_ranking_pdf(publication) else None
