"""django-import-export's CSV and XLSX export formats with formula-like text kept as text.

import-export's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only drops a leading "=" (it
changes the data, turns every cell into text and lets "+", "-", "@" through), so the admin
exports use these instead: the rule of tabular.cells, as in every other file the app writes.
"""

from __future__ import annotations

import io

import tablib
from import_export.formats import base_formats
from openpyxl import load_workbook

from .cells import csv_row, protect_sheet


class CSV(base_formats.CSV):
    """CSV with formula-like text prefixed by "'" (numbers unchanged)."""

    def export_data(self, dataset, **kwargs):
        safe = tablib.Dataset(*(csv_row(row) for row in dataset), headers=dataset.headers)
        return super().export_data(safe, **kwargs)


class XLSX(base_formats.XLSX):
    """XLSX whose formula-like text cells are string cells, never formulas."""

    def export_data(self, dataset, **kwargs):
        workbook = load_workbook(io.BytesIO(super().export_data(dataset, **kwargs)))
        for sheet in workbook.worksheets:
            protect_sheet(sheet)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


# import-export renders real numbers (force_native_type) only for the exact classes listed in
# BINARY_FORMATS (`type(format) in BINARY_FORMATS`); list this subclass there too, or the
# admin's XLSX would carry maxima and scores as text.
base_formats.BINARY_FORMATS.append(XLSX)
