"""PDF documents with WeasyPrint: the ranking (A4 landscape) and a commune's report (A4
portrait). Printable templates extend `reports/print.html` (fonts, page numbers, the
national heading).

WeasyPrint never touches the network here: `/static/...` URLs are read from the static
files on disk and every other URL except data: is refused. Laying out a 170-row ranking takes
seconds, so each publication version's ranking is rendered once and kept in
`Publication.ranking_pdf` (see `stored_ranking_pdf`).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils import timezone

from scoring import rules
from scoring.models import Publication

from .selectors import commune_report, ranking

# Relative links in printable templates resolve against this made-up origin, which the
# fetcher below maps to the static files on disk.
BASE_URL = "https://cchc.invalid/"


def _static_path(url: str) -> Path | None:
    prefix = BASE_URL.rstrip("/") + "/" + settings.STATIC_URL.strip("/") + "/"
    if not url.startswith(prefix):
        return None
    name = url[len(prefix) :].split("?")[0].split("#")[0]
    found = finders.find(name)
    if found:
        return Path(found)
    if staticfiles_storage.exists(name):  # collected (hashed) names in production
        return Path(staticfiles_storage.path(name))
    return None


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesFetcher(URLFetcher):
        """Serves /static/ from disk and data: URLs; refuses everything else (no network)."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = _static_path(url)
            if path is None:
                raise ValueError(f"PDF không tải tài nguyên ngoài: {url}")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    return StaticFilesFetcher


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render a template extending `reports/print.html` to PDF bytes."""
    from weasyprint import HTML  # imported here: loading WeasyPrint takes a moment

    context = {"printed_on": rules.format_date(timezone.localdate()), **context}
    html = render_to_string(template_name, context)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher_class()())
    return document.write_pdf()


def ranking_pdf(publication) -> bytes:
    """The ranking of one publication version (A4 landscape), as PDF bytes."""
    return render_pdf("reports/ranking_print.html", {"ranking": ranking(publication)})


def commune_report_pdf(result) -> bytes:
    """One commune's report (A4 portrait) from its published Result, as PDF bytes."""
    return render_pdf("reports/commune_report_print.html", {"report": commune_report(result)})


def has_stored_ranking_pdf(publication) -> bool:
    file = publication.ranking_pdf
    return bool(file.name) and file.storage.exists(file.name)


def stored_ranking_pdf(publication):
    """The publication's stored ranking PDF (a FieldFile), rendered and stored first when the
    publish step did not (scoring.services.publishing.store_ranking_pdf); None when it cannot
    be stored (the caller then renders it on the fly)."""
    if not has_stored_ranking_pdf(publication) and not publication.ranking_pdf.name:
        from scoring.services.publishing import store_ranking_pdf

        store_ranking_pdf(publication)
        stored = Publication.objects.values_list("ranking_pdf", flat=True).get(pk=publication.pk)
        publication.ranking_pdf.name = stored
    return publication.ranking_pdf if has_stored_ranking_pdf(publication) else None
