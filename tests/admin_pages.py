"""Which Django admin pages the crawls read (issue 14): the layout crawl in Chromium
(tests/browser/test_layout_crawl.py: width, weight, axe) and the words crawl
(tests/test_vietnamese_only.py). Both start at the admin index as the demo's administrator and
follow its links, one page per URL name: the index, an application's list, each model's list
(changelist), one change form per model (the first row of its list), every import page, one
export page (one template and one form for every model), the clone page, the password forms.
Left out: the add forms (the change form's fields, empty), the delete and history pages, the
blank import templates (files) and the way out."""

import html
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

from django.urls import Resolver404, resolve

SKIPPED_SUFFIXES = ("_add", "_delete", "_history", "_import_template")
SKIPPED = {
    "admin:login",
    "admin:logout",
    "admin:jsi18n",
    "admin:autocomplete",
    "admin:view_on_site",
    "admin:password_change_done",
}


def url_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def is_admin(name: str | None) -> bool:
    return bool(name) and name.startswith("admin:")


def page_kind(name: str) -> str:
    """Pages read once for all: a URL name, or any model's export page."""
    return "admin:*_export" if is_admin(name) and name.endswith("_export") else name


def admin_page_read(name: str) -> bool:
    """Whether the crawls read the admin page of this URL name."""
    return name not in SKIPPED and not name.endswith(SKIPPED_SUFFIXES)


HREF = re.compile(r'<a\b[^>]*?\bhref="([^"#]*)"')


def admin_pages(client, start="/admin/"):
    """(path, URL name, response) of every admin page read, breadth first from the index, for
    a Django test client signed in as an administrator (the words crawl; the layout crawl
    follows the same links in Chromium)."""
    queued, kinds = deque([start]), {url_name(start)}
    while queued:
        path = queued.popleft()
        response = client.get(path)
        yield path, url_name(urlsplit(path).path), response
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        for href in HREF.findall(response.content.decode()):
            link = urljoin(path, html.unescape(href))
            parts = urlsplit(link)
            name = url_name(parts.path)
            if parts.netloc or not is_admin(name) or not admin_page_read(name):
                continue
            if page_kind(name) in kinds:
                continue
            kinds.add(page_kind(name))
            queued.append(link)
