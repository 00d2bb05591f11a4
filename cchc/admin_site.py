"""The Django admin in Vietnamese, site-wide: its titles, and the alt text of its yes/no icons.

Django writes a yes/no icon's alt text as the Python value ("True", "False", "None":
django.contrib.admin.templatetags.admin_list._boolean_icon, which no catalogue translates), so
a screen reader reads English on every list with a yes/no column and on read-only yes/no
fields. The same icon is written with "Có", "Không", "Không rõ". Django's list, change form
and read-only helpers look the function up on its module at each call, so replacing it there
covers all of them (tests/test_vietnamese_only.py reads every admin page).
"""

from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.templatetags.static import static
from django.utils.html import format_html

admin.site.site_header = "Quản trị Chỉ số CCHC cấp xã"
admin.site.site_title = "Chỉ số CCHC"
admin.site.index_title = "Danh mục quản trị"

ICONS = {True: ("yes", "Có"), False: ("no", "Không"), None: ("unknown", "Không rõ")}


def boolean_icon(value) -> str:
    icon, text = ICONS[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), text)


admin_list._boolean_icon = boolean_icon
