"""Dates as the imports read them and the pages print them: dd/mm/yyyy (docs/design.md §5, §6)."""

from __future__ import annotations

import datetime
import functools


@functools.lru_cache(maxsize=4096)
def parse_date(text: str) -> datetime.date | None:
    """A dd/mm/yyyy date (XLSX date cells arrive so too), "" → None; ValueError otherwise.
    Cached: a file repeats a few dates thousands of times, and strptime is slow."""
    if not text:
        return None
    return datetime.datetime.strptime(text, "%d/%m/%Y").date()


def bad_date(text: str) -> str:
    """The message for a cell parse_date refused."""
    return f"“{text}” không phải là ngày hợp lệ (dạng dd/mm/yyyy, ví dụ 01/07/2025)."


def format_date(value: datetime.date | None) -> str:
    """dd/mm/yyyy, as every date the app prints (docs/design.md §5)."""
    return value.strftime("%d/%m/%Y") if value else ""
