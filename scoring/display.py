"""Display helpers that need Django (the site's time zone); pure ones live in rules.py."""

import datetime

from django.utils import timezone


def format_datetime(value: datetime.datetime | None) -> str:
    """dd/mm/yyyy HH:MM in the site's time zone."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y %H:%M")
