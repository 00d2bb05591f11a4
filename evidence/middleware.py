"""Request bodies bounded before anything reads them.

Django's CsrfViewMiddleware reads request.POST — parsing the whole multipart body into memory
and temporary files — before a view runs, so a size check in the view comes after the disk is
full. Two guards, one limit (evidence.services.request_limit):

- UploadLimitMiddleware, placed before CsrfViewMiddleware, answers 413 to a request whose
  Content-Length is over the limit, and sends anonymous multipart requests to the login page,
  without reading a byte of either body.
- LimitedUploadHandler, first in FILE_UPLOAD_HANDLERS, stops the multipart parser once the body
  passes the limit, whatever the headers announced (a server that passes chunked input on, a
  setting that leaves the middleware out). The view then answers 413 (`refusal`).

Django itself reads nothing of a WSGI body sent without Content-Length.
"""

from __future__ import annotations

from django.contrib.auth.middleware import get_user
from django.contrib.auth.views import redirect_to_login
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponse, QueryDict
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils.datastructures import MultiValueDict
from django.utils.http import url_has_allowed_host_and_scheme

from . import services

REFUSED = "_evidence_upload_refused"
# The forms an anonymous visitor may post, in whatever encoding (a test client or a script may
# send the login form as multipart): their bodies are small and bounded by the size check.
OPEN_TO_ANONYMOUS = {"login", "admin:login"}


def content_length(request) -> int:
    """The announced body size; 0 when missing or unreadable (as Django reads it)."""
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def is_multipart(request) -> bool:
    return request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/")


def open_to_anonymous(request) -> bool:
    try:
        return resolve(request.path_info).view_name in OPEN_TO_ANONYMOUS
    except Resolver404:
        return False


def refusal(request) -> str | None:
    """The message if LimitedUploadHandler cut this request's body short, else None."""
    return getattr(request, REFUSED, None)


def wants_fragment(request) -> bool:
    """A background request from static/js/autosave.js (or htmx): answer with fragments."""
    return request.headers.get("X-Autosave") == "1" or request.headers.get("HX-Request") == "true"


def too_large(request, message: str) -> HttpResponse:
    """413 with the message where the page shows it: the criterion's message box for
    autosave.js (it replaces `#everr-<score>`), else a page with a way back."""
    if wants_fragment(request):
        try:
            match = resolve(request.path_info)
            score = match.kwargs.get("score") if match.view_name == "evidence:add" else None
        except Resolver404:
            score = None
        context = {"message": message, "score": score}
        html = render_to_string("evidence/_upload_refused.html", context)
    else:
        back = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            back = reverse("scoring:home")
        html = render_to_string("evidence/upload_refused.html", {"message": message, "back": back})
    return HttpResponse(html, status=413)


class UploadLimitMiddleware:
    """Refuse oversized and anonymous uploads before CsrfViewMiddleware parses them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = content_length(request)
        if length > services.request_limit():
            return too_large(request, services.too_large_message(length))
        # The same cached lookup AuthenticationMiddleware makes later: no extra query.
        if (
            is_multipart(request)
            and not get_user(request).is_authenticated
            and not open_to_anonymous(request)
        ):
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class LimitedUploadHandler(FileUploadHandler):
    """Stop the multipart parser once file data passes services.request_limit().

    Leaves later handlers (memory, temporary file) to store what it lets through.
    """

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = services.request_limit()
        self.received = 0
        if content_length > self.limit:
            setattr(self.request, REFUSED, services.too_large_message(content_length))
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            setattr(self.request, REFUSED, services.too_large_message())
            # Do not read the rest of the body to skip it.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None
