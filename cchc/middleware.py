"""Refusing malformed request parameters once, for every view: a 400 with a Vietnamese message.

A NUL character in any query or form value (`?district=%00`) reached PostgreSQL, which refuses
it ("A string literal cannot contain NUL"): a 500. Text of more than MAX_FIELD_CHARS in one
value has no use in any form here. Numbers are checked where they are read
(scoring.rules.parse_decimal).
"""

from __future__ import annotations

from django.http import HttpResponseBadRequest

# The longest text any form takes (explanations, reasons) stays far below this.
MAX_FIELD_CHARS = 100_000


def bad_parameter(params) -> str | None:
    """The Vietnamese message for the first unusable value of a QueryDict (None: all fine)."""
    for name, values in params.lists():
        for value in [name, *values]:
            if "\x00" in value:
                return f"Tham số “{_shown(name)}” chứa ký tự NUL (\\0), không hợp lệ."
            if len(value) > MAX_FIELD_CHARS:
                return (
                    f"Tham số “{_shown(name)}” quá dài ({len(value):,} ký tự; tối đa "
                    f"{MAX_FIELD_CHARS:,} ký tự).".replace(",", ".")
                )
    return None


def _shown(name: str) -> str:
    name = name.replace("\x00", "\\0")
    return name if len(name) <= 40 else name[:40] + "…"


def _bad_request(message: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(
        f"Yêu cầu không hợp lệ. {message}", content_type="text/plain; charset=utf-8"
    )


class RequestParametersMiddleware:
    """Answer 400 to a request whose query string or form values are unusable.

    The query string is checked before any view, a POST body in process_view, after
    CsrfViewMiddleware has parsed it (the same parse: place this after it). Views exempt from
    CSRF keep their body unread, free to set their own upload handlers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        message = bad_parameter(request.GET)
        if message:
            return _bad_request(message)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method == "POST" and not getattr(view_func, "csrf_exempt", False):
            message = bad_parameter(request.POST)
            if message:
                return _bad_request(message)
        return None
