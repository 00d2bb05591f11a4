"""Help text of the admin's import pages with its codes marked as code."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

# A code written in the help: a snake_case value (commune_officer, thi_tran).
SNAKE_CASE = r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+"


@register.filter
def codes(text, columns=()):
    """`text` escaped, every column name of the file (`columns`) and every snake_case value
    in <code>: a reader (and a screen reader) tells the ◆ names from the Vietnamese around
    them (issue 14)."""
    names = sorted({*columns}, key=len, reverse=True)
    pattern = "|".join([*(re.escape(name) for name in names), SNAKE_CASE])
    found = re.compile(rf"(?<![\w/.@-])({pattern})(?![\w/.@-])")
    return mark_safe(found.sub(r"<code>\1</code>", escape(str(text))))
