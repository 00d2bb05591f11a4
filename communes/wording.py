"""The words a page or a report uses for a period's appraising unit and its communes.

One place computes them from the data (docs/design.md §1): a district appraised its communes
before 1/7/2025 ("Phòng Nội vụ huyện Ninh Giang", "các xã, thị trấn"); a province appraises
its communes, wards and special zones directly since ("Sở Nội vụ thành phố Hải Phòng", "các
xã, phường, đặc khu"). Templates, PDFs, XLSX headings and messages take their words from here
and never spell "huyện" or "Phòng Nội vụ" themselves.

Plain functions of a unit's kind, level and name, and of the kinds of the communes assessed:
no query.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from .models import Kind, Level, kind_word

# The order in which kinds are named in a phrase: "xã, phường, thị trấn, đặc khu".
COMMUNE_KIND_ORDER = [Kind.XA, Kind.PHUONG, Kind.THI_TRAN, Kind.DAC_KHU]
# The Home Affairs office of an appraising unit, by its level.
OFFICE = {Level.PROVINCE: "Sở Nội vụ", Level.DISTRICT: "Phòng Nội vụ"}
# What an office is called when there is no unit to go by (an account without any role).
ANY_OFFICE = "Phòng/Sở Nội vụ"
# The commune-level units of each era, when a period has no commune to go by yet.
DEFAULT_COMMUNE_KINDS = {
    Level.PROVINCE: [Kind.XA, Kind.PHUONG, Kind.DAC_KHU],
    Level.DISTRICT: [Kind.XA, Kind.PHUONG, Kind.THI_TRAN],
}


def unit_title(unit) -> str:
    """The unit named inside a sentence, its kind in lower case: "huyện Ninh Giang".

    Names are stored with their kind ("Huyện Ninh Giang"); a name without it ("Ninh Giang")
    gets it in front.
    """
    word = kind_word(unit.kind)
    if unit.name.lower().startswith(word + " "):
        return word + unit.name[len(word):]
    return f"{word} {unit.name}"


def place(unit) -> str:
    """The place a document issued at this unit names, its proper name without its kind:
    "Hải Phòng" for "Thành phố Hải Phòng", "Ninh Giang" for "Huyện Ninh Giang" (Nghị định
    30/2020/NĐ-CP, Phụ lục I: the official name of the administrative unit where the issuing
    body sits)."""
    name = " ".join(unit.name.split())
    word = kind_word(unit.kind)
    if name.lower().startswith(word + " "):
        return name[len(word) + 1 :]
    return name


def office(unit) -> str:
    """The Home Affairs office that runs the index for an appraising unit."""
    return OFFICE.get(unit.level, ANY_OFFICE)


def kinds_phrase(kinds: Iterable[str]) -> str:
    """Commune kinds in their usual order, as in "các xã, phường, đặc khu"."""
    present = set(kinds)
    return ", ".join(kind_word(kind) for kind in COMMUNE_KIND_ORDER if kind in present)


class Wording:
    """The words for one appraising unit and the kinds of the communes it assesses.

    `commune_kinds` may be a callable: it is called (a query, for a period) only when a page
    uses `communes`; the office and unit words need nothing beyond the unit.
    """

    def __init__(self, unit, commune_kinds: Iterable[str] | Callable[[], Iterable[str]] = ()):
        self._unit = unit
        self._kinds = commune_kinds
        self.office = office(unit)  # "Sở Nội vụ"
        self.level = kind_word(unit.kind)  # "thành phố", "tỉnh", "huyện"
        self.unit = unit_title(unit)  # "thành phố Hải Phòng"
        self.appraising_office = f"{self.office} {self.unit}"  # "Sở Nội vụ thành phố Hải Phòng"
        self.place = place(unit)  # "Hải Phòng": where its documents are dated

    @functools.cached_property
    def communes(self) -> str:
        """ "xã, phường, đặc khu": the kinds assessed (none: the usual kinds of the era)."""
        kinds = self._kinds() if callable(self._kinds) else self._kinds
        kinds = [kind for kind in kinds if kind in COMMUNE_KIND_ORDER]
        if not kinds:
            kinds = DEFAULT_COMMUNE_KINDS.get(self._unit.level, COMMUNE_KIND_ORDER)
        return kinds_phrase(kinds)

    @property
    def communes_of_unit(self) -> str:
        """ "các xã, phường, đặc khu thành phố Hải Phòng" """
        return f"các {self.communes} {self.unit}"
