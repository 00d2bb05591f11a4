"""Scoring rules of docs/design.md §5: plain data in, plain data out; no ORM, no settings.

Every number here is a Decimal. Stored scores keep 3 decimals (ROUND_HALF_UP on input);
totals are exact; only printed values are rounded (totals and indices to 2 decimals).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

SCORE_PLACES = Decimal("0.001")
PRINT_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)

# docs/design.md §5: used when a period sets no bands of its own.
DEFAULT_BANDS: tuple[tuple[str, Decimal], ...] = (
    ("Hoàn thành xuất sắc nhiệm vụ", Decimal(90)),
    ("Hoàn thành tốt nhiệm vụ", Decimal(80)),
    ("Hoàn thành nhiệm vụ", Decimal(70)),
    ("Chưa hoàn thành nhiệm vụ", Decimal(0)),
)


class RuleError(ValueError):
    """A value breaks a rule; the message is Vietnamese and names the value."""


# --- numbers in and out -------------------------------------------------------------------


# What people type for a number: a sign, digits, one "," or "." decimal mark. No exponent
# ("1e400" parses but then breaks quantize), no NaN or Infinity, no "_" separators.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
# Excel keeps 15 significant digits; no score, point or survey figure comes near.
MAX_INTEGER_DIGITS = 15
_SHOWN_CHARS = 30


def parse_decimal(text: str | int | Decimal | None, *, places: Decimal = SCORE_PLACES) -> Decimal:
    """Read "11,84", "11.84", "18,5" or a number; round half-up to `places`.

    Refuses (RuleError, naming the value) thousands separators, exponents ("1e400"), NaN,
    Infinity and numbers over 15 integer digits, before any arithmetic on them.
    """
    if isinstance(text, bool):
        raise RuleError(f"“{text}” không phải là số.")
    if isinstance(text, (int, Decimal)):
        value = Decimal(text)
    elif isinstance(text, float):
        value = Decimal(repr(text))
    else:
        raw = (text or "").strip().replace("\u00a0", "").replace(" ", "")
        if raw.count(",") + raw.count(".") > 1:
            raise RuleError(
                f"“{_shown(text)}” không phải là số hợp lệ (chỉ dùng một dấu thập phân)."
            )
        if not _NUMBER.fullmatch(raw):
            if "e" in raw.lower() and any(char in "0123456789" for char in raw):
                raise RuleError(f"“{_shown(text)}” không phải là số (không ghi dạng lũy thừa như 1e5).")
            raise RuleError(f"“{_shown(text)}” không phải là số.")
        value = Decimal(raw.replace(",", "."))
    if not value.is_finite():
        raise RuleError(f"“{_shown(text)}” không phải là số.")
    if value and value.adjusted() >= MAX_INTEGER_DIGITS:
        raise RuleError(f"“{_shown(text)}” quá lớn (tối đa {MAX_INTEGER_DIGITS} chữ số phần nguyên).")
    return value.quantize(places, rounding=ROUND_HALF_UP)


def _shown(text) -> str:
    """The value as quoted in a message: control characters as "�", long text cut short."""
    shown = "".join("\ufffd" if ord(char) < 32 else char for char in str(text)[: _SHOWN_CHARS + 1])
    return shown if len(shown) <= _SHOWN_CHARS else shown[:_SHOWN_CHARS] + "…"


def round_printed(value: Decimal) -> Decimal:
    """The value as printed for totals and indices: half-up to 2 decimals."""
    return value.quantize(PRINT_PLACES, rounding=ROUND_HALF_UP)


def plain_decimal(value: Decimal | None) -> str:
    """An exact number for machine-read files: "." decimal, no trailing zeros ("87.747", "90")."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"", "-0"} else text


def format_exact(value: Decimal | None) -> str:
    """An exact number for people, unrounded: comma decimal, no trailing zeros ("87,747")."""
    return plain_decimal(value).replace(".", ",")


def format_score(value: Decimal | None) -> str:
    """A criterion or field score: comma decimal, no trailing zeros ("11,84", "6", "1,577")."""
    if value is None:
        return ""
    return format_exact(value.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP))


def score_texts(value: Decimal) -> tuple[str, str]:
    """(plain_decimal(value), format_score(value)) from one formatting: a score of at most
    3 decimals prints as its exact number with a comma (the ranking page needs both for each
    of its 1,700 field cells)."""
    plain = plain_decimal(value)
    dot = plain.find(".")
    if dot < 0 or len(plain) - dot <= 4:
        return plain, plain.replace(".", ",")
    return plain, format_score(value)


def format_total(value: Decimal | None) -> str:
    """A total or index as published: half-up to 2 decimals, comma decimal ("87,75", "90")."""
    if value is None:
        return ""
    return format_exact(round_printed(value))


def format_signed(value: Decimal | None) -> str:
    """A change, signed: "+2,38", "-1,5", "0"."""
    if value is None:
        return ""
    text = format_total(value)
    return f"+{text}" if value > 0 and text != "0" else text


def format_megabytes(size: int) -> str:
    """A size in bytes as megabytes to one decimal, comma decimal ("1,2", "20")."""
    return format_score((Decimal(size) / (1024 * 1024)).quantize(Decimal("0.1")))


def format_date(value: datetime.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def format_place_date(place: str, value: datetime.date) -> str:
    """ "Hải Phòng, ngày 01 tháng 12 năm 2026": a document's place (communes.wording.place)
    and date (Nghị định 30/2020/NĐ-CP, Phụ lục I: a day below 10 and the months 1 and 2 take
    a leading zero, so no digit can be added later)."""
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    date = f"ngày {value.day:02d} tháng {month} năm {value.year}"
    return f"{place}, {date}" if place else date[0].upper() + date[1:]


def parse_date(text: str) -> datetime.date:
    """dd/mm/yyyy (or ISO yyyy-mm-dd)."""
    raw = (text or "").strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise RuleError(f"“{text}” không phải là ngày hợp lệ (dạng dd/mm/yyyy).")


# --- score checks -------------------------------------------------------------------------


def check_score(value: Decimal, max_points: Decimal, *, criterion: str = "") -> Decimal:
    """Return `value` if it lies in [0, max_points]; otherwise refuse, naming the criterion."""
    label = f"Tiêu chí {criterion}: " if criterion else ""
    if value < 0:
        raise RuleError(f"{label}điểm {format_score(value)} không được âm.")
    if value > max_points:
        raise RuleError(
            f"{label}điểm {format_score(value)} vượt quá điểm tối đa {format_score(max_points)}."
        )
    return value


def points_from_percent(percent: Decimal, max_points: Decimal) -> Decimal:
    """Survey/SIPAS: points = max × percent / 100, half-up to 3 decimals."""
    if percent < 0 or percent > HUNDRED:
        raise RuleError(f"Tỷ lệ {format_score(percent)}% phải nằm trong khoảng 0–100.")
    return (max_points * percent / HUNDRED).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


# --- a leaf's points ----------------------------------------------------------------------

# Criterion.na_policy values (scoring.models.NaPolicy; the models import this module).
NA_FULL = "full"
NA_EXCLUDE = "exclude"


@dataclass(frozen=True)
class LeafPoints:
    """What one applicable leaf criterion of one commune counts, on both sides.

    self_points / self_max: as the commune counts them (its claims); points / counted_max:
    as the appraisal counts them and publishing publishes them.
    """

    self_points: Decimal
    self_max: Decimal
    points: Decimal
    counted_max: Decimal


def leaf_points(
    max_points: Decimal,
    *,
    self_score: Decimal | None = None,
    appraised_score: Decimal | None = None,
    imported: bool = False,
    na_policy: str = "",
    not_applicable: bool = False,
    confirmed: bool = False,
) -> LeafPoints:
    """The points and counted maximum of one leaf that applies to the commune (docs/design.md §3,
    §5): the one rule behind the self-assessment page, the appraisal page, the period table,
    publishing and the reports (scoring.models.ScoreQuerySet.with_points is the same rule in
    SQL; tests/scoring/test_leaf_points.py holds the two together).

    A "không áp dụng" counts only where the criterion allows one (na_policy `full`: the leaf
    gives its maximum; `exclude`: it leaves the maximum, 0 of 0). The commune's side counts
    its claim (`not_applicable`); the appraised side only a claim the appraiser `confirmed`
    (a claim rejected by a score, or not decided yet, counts as scored). Imported criteria
    (survey, SIPAS, computed) give the commune no self points and take no claim, but count in
    its maximum; their imported points are their appraised score. No score yet counts 0.
    """
    own = _counted(max_points, None if imported else self_score, na_policy,
                   not_applicable and not imported)
    appraised = _counted(max_points, appraised_score, na_policy, not_applicable and confirmed)
    return LeafPoints(*own, *appraised)


def _counted(max_points, score, na_policy, excused) -> tuple[Decimal, Decimal]:
    """(points, counted maximum) of one side; `excused`: its "không áp dụng" counts."""
    if excused and na_policy == NA_FULL:
        return max_points, max_points
    if excused and na_policy == NA_EXCLUDE:
        return Decimal(0), Decimal(0)
    return (score if score is not None else Decimal(0)), max_points


# --- the criteria tree --------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """One criterion as plain data: enough to check a tree and sum its scores."""

    key: str  # the criterion code ("1.2.3")
    parent: str | None
    max_points: Decimal


def tree_errors(nodes: Iterable[Node], *, total: Decimal | None = None) -> list[str]:
    """Every problem of a criteria tree, in Vietnamese; empty when the tree is sound.

    Checks: unknown parents, cycles, children's maxima adding up to their parent's, and the
    fields' maxima adding up to `total` when given.
    """
    nodes = list(nodes)
    by_key = {node.key: node for node in nodes}
    errors: list[str] = []
    children: dict[str | None, list[Node]] = {}
    for node in nodes:
        if node.parent is not None and node.parent not in by_key:
            errors.append(f"Tiêu chí {node.key}: không có tiêu chí cha “{node.parent}”.")
            continue
        children.setdefault(node.parent, []).append(node)
    for node in nodes:
        seen, current = {node.key}, node.parent
        while current is not None and current in by_key:
            if current in seen:
                errors.append(f"Tiêu chí {node.key}: cây tiêu chí có vòng lặp qua “{current}”.")
                break
            seen.add(current)
            current = by_key[current].parent
    if any("vòng lặp" in error for error in errors):
        return errors
    for parent_key, kids in children.items():
        if parent_key is None:
            continue
        parent = by_key[parent_key]
        kids_total = sum((kid.max_points for kid in kids), Decimal(0))
        if kids_total != parent.max_points:
            errors.append(
                f"Tiêu chí {parent_key}: tổng điểm tối đa các tiêu chí con là "
                f"{format_score(kids_total)}, khác điểm tối đa {format_score(parent.max_points)}."
            )
    if total is not None:
        fields_total = sum((node.max_points for node in children.get(None, [])), Decimal(0))
        if fields_total != total:
            errors.append(
                f"Tổng điểm tối đa các lĩnh vực là {format_score(fields_total)}, "
                f"khác {format_score(total)}."
            )
    return errors


def field_of(nodes: Iterable[Node]) -> dict[str, str]:
    """Map every criterion code to the code of its field (its top-level ancestor)."""
    by_key = {node.key: node for node in nodes}
    result = {}
    for key in by_key:
        current = key
        while by_key[current].parent is not None:
            current = by_key[current].parent
        result[key] = current
    return result


def field_totals(leaf_scores: Mapping[str, Decimal | None], leaf_field: Mapping[str, str]):
    """Sum leaf scores per field (a missing score counts 0). Returns {field: Decimal}."""
    totals: dict[str, Decimal] = {}
    for leaf, field in leaf_field.items():
        totals[field] = totals.get(field, Decimal(0)) + (leaf_scores.get(leaf) or Decimal(0))
    return totals


INDEX_PLACES = Decimal("0.0001")


def index_of(total: Decimal, applicable_max: Decimal) -> Decimal:
    """Index = total / applicable max × 100, truncated (not rounded) to 4 decimals; printed
    to 2 by round_printed.

    Truncated, because rounding twice would change the printed value: 70,196 of 98,5 is
    71,26497…, printed 71,26; rounded to 71,2650 first it would print 71,27. Every half-up
    boundary of the printed value (71,265) has 4 decimals, so the value truncated toward zero
    lies on the same side of it as the exact quotient and prints the same (a deduction larger
    than the points can make it negative).
    """
    if applicable_max <= 0:
        raise RuleError("Điểm tối đa áp dụng phải lớn hơn 0.")
    if total == applicable_max:
        return HUNDRED
    return (total * HUNDRED / applicable_max).quantize(INDEX_PLACES, rounding=ROUND_DOWN)


# --- ranks --------------------------------------------------------------------------------


def dense_ranks(values: Mapping[str, Decimal]) -> dict[str, tuple[int, int]]:
    """Rank keys by value, highest first; equal values share a rank ("r/N hạng").

    N is the number of distinct values (docs/design.md §5: field 4, all 6/6 → "1/5 hạng").
    """
    distinct = sorted(set(values.values()), reverse=True)
    place = {value: i for i, value in enumerate(distinct, start=1)}
    return {key: (place[v], len(distinct)) for key, v in values.items()}


def competition_ranks(values: Mapping[str, Decimal]) -> dict[str, tuple[int, int]]:
    """Overall rank "xếp thứ r/N": r = 1 + number of strictly higher values (1, 2, 2, 4).

    Callers pass the printed (2-decimal) index so readers can check ranks from the table.
    """
    ordered = sorted(values.values(), reverse=True)
    first_place: dict[Decimal, int] = {}
    for i, value in enumerate(ordered, start=1):
        first_place.setdefault(value, i)
    n = len(ordered)
    return {key: (first_place[v], n) for key, v in values.items()}


# --- classification -----------------------------------------------------------------------


def parse_bands(text: str) -> list[tuple[str, Decimal]]:
    """Read "Hoàn thành tốt nhiệm vụ:80;Hoàn thành nhiệm vụ:65" into bands, highest first.

    Any order in; refuses empty labels, bad numbers, minima outside [0, 100] and repeats.
    """
    bands: list[tuple[str, Decimal]] = []
    for part in (p.strip() for p in (text or "").split(";")):
        if not part:
            continue
        label, sep, minimum = part.rpartition(":")
        label = label.strip()
        if not sep or not label:
            raise RuleError(f"Mức xếp loại “{part}” phải có dạng TÊN:ĐIỂM_TỐI_THIỂU.")
        try:
            value = parse_decimal(minimum, places=PRINT_PLACES)
        except RuleError:
            raise RuleError(f"Mức xếp loại “{label}”: “{minimum.strip()}” không phải là số.") from None
        bands.append((label, value))
    if not bands:
        raise RuleError("Chưa có mức xếp loại nào.")
    return check_bands(bands)


def check_bands(bands: Iterable[tuple[str, Decimal]]) -> list[tuple[str, Decimal]]:
    """Sort bands highest first; refuse repeated labels or minima and minima outside [0, 100]."""
    bands = sorted(bands, key=lambda band: band[1], reverse=True)
    labels, minima = set(), set()
    for label, minimum in bands:
        if minimum < 0 or minimum > HUNDRED:
            raise RuleError(f"Mức xếp loại “{label}”: điểm tối thiểu phải trong khoảng 0–100.")
        if label in labels:
            raise RuleError(f"Mức xếp loại “{label}” bị lặp lại.")
        if minimum in minima:
            raise RuleError(
                f"Hai mức xếp loại có cùng điểm tối thiểu {format_score(minimum)}; "
                "các mức phải khác nhau."
            )
        labels.add(label)
        minima.add(minimum)
    return bands


def format_bands(bands: Iterable[tuple[str, Decimal]]) -> str:
    """The inverse of parse_bands (for forms and the admin)."""
    return ";".join(f"{label}:{format_score(minimum)}" for label, minimum in bands)


def classify(index: Decimal, bands: Iterable[tuple[str, Decimal]] = DEFAULT_BANDS) -> str:
    """The label of the highest band whose minimum the printed index reaches; "" if none."""
    return _label(round_printed(index), sorted(bands, key=lambda band: band[1], reverse=True))


def _label(printed: Decimal, bands_highest_first: Iterable[tuple[str, Decimal]]) -> str:
    for label, minimum in bands_highest_first:
        if printed >= minimum:
            return label
    return ""


def classification_counts(
    classifications: Iterable[str], labels: Iterable[str]
) -> list[tuple[str, int]]:
    """(label, how many) for every band label in order (0 included), then any other label
    met, in the order met: the "tổng hợp xếp loại" of a table or of one block."""
    counts = {label: 0 for label in labels}
    for label in classifications:
        counts[label] = counts.get(label, 0) + 1
    return list(counts.items())


def is_weak(score: Decimal, max_points: Decimal, threshold: Decimal = Decimal("0.75")) -> bool:
    """A field below `threshold` of its maximum is weak (docs/design.md §5: "dưới 75%")."""
    limit = weak_limit(max_points, threshold)
    return limit is not None and score < limit


def weak_limit(max_points: Decimal, threshold: Decimal = Decimal("0.75")) -> Decimal | None:
    """The score below which a field of `max_points` is weak (is_weak); None for a field
    without points, which is never weak."""
    return max_points * threshold if max_points > 0 else None


# --- ranking blocks (khối xếp hạng) -------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One ranking block of a period: its label ("Phường") and the unit kinds it ranks
    together (slugs of communes.models.Kind: "phuong")."""

    label: str
    kinds: tuple[str, ...]


def parse_blocks(text: str, known_kinds: Iterable[str] | None = None) -> list[Block]:
    """Read "Phường:phuong;Xã, đặc khu:xa,dac_khu" (LABEL:KINDS pairs separated by ";",
    KINDS comma-separated slugs) into blocks, in the order given; empty text: no blocks.

    Refuses (RuleError, naming the part) a pair without ":", an empty label or kind list, and
    what check_blocks refuses.
    """
    blocks: list[Block] = []
    for part in (p.strip() for p in (text or "").split(";")):
        if not part:
            continue
        label, sep, kinds = part.rpartition(":")
        label = label.strip()
        if not sep or not label:
            raise RuleError(f"Khối xếp hạng “{part}” phải có dạng TÊN_KHỐI:loại,loại.")
        slugs = tuple(kind.strip() for kind in kinds.split(",") if kind.strip())
        if not slugs:
            raise RuleError(f"Khối xếp hạng “{label}” chưa có loại đơn vị nào.")
        blocks.append(Block(label, slugs))
    return check_blocks(blocks, known_kinds)


def check_blocks(blocks: Iterable[Block], known_kinds: Iterable[str] | None = None) -> list[Block]:
    """The blocks, in order; refuses a repeated label, a kind listed twice (in one block or
    two) and, given `known_kinds`, a kind that is not one of them."""
    blocks = list(blocks)
    known = None if known_kinds is None else list(known_kinds)
    labels: set[str] = set()
    owner: dict[str, str] = {}
    for block in blocks:
        if block.label.casefold() in labels:
            raise RuleError(f"Khối xếp hạng “{block.label}” bị lặp lại.")
        labels.add(block.label.casefold())
        for kind in block.kinds:
            if known is not None and kind not in known:
                raise RuleError(
                    f"Khối “{block.label}”: “{kind}” không phải là loại đơn vị "
                    f"(dùng: {', '.join(known)})."
                )
            if kind in owner and owner[kind] == block.label:
                raise RuleError(f"Khối “{block.label}”: loại đơn vị “{kind}” được ghi hai lần.")
            if kind in owner:
                raise RuleError(
                    f"Loại đơn vị “{kind}” có trong cả khối “{owner[kind]}” và khối "
                    f"“{block.label}”; mỗi loại chỉ thuộc một khối."
                )
            owner[kind] = block.label
    return blocks


def format_blocks(blocks: Iterable[Block]) -> str:
    """The inverse of parse_blocks (for forms and the admin)."""
    return ";".join(f"{block.label}:{','.join(block.kinds)}" for block in blocks)


def block_of_kind(blocks: Iterable[Block]) -> dict[str, str]:
    """kind → the label of its block."""
    return {kind: block.label for block in blocks for kind in block.kinds}


def block_errors(
    blocks: Iterable[Block],
    units: Iterable[tuple[str, str]],
    kind_labels: Mapping[str, str] | None = None,
) -> list[str]:
    """Every unit (name, kind) of a period that falls in no block, in Vietnamese; empty when
    each falls in one (check_blocks keeps a kind in at most one block). No blocks: one block
    holds every unit."""
    blocks = list(blocks)
    if not blocks:
        return []
    of_kind = block_of_kind(blocks)
    labels = kind_labels or {}
    missing: dict[str, list[str]] = {}
    for name, kind in units:
        if kind not in of_kind:
            missing.setdefault(kind, []).append(name)
    return [
        f"{', '.join(names)} ({f'loại “{labels[kind]}”, ' if kind in labels else ''}{kind}) "
        f"không thuộc khối xếp hạng nào; thêm “{kind}” vào một khối."
        for kind, names in missing.items()
    ]


def block_phrase(label: str) -> str:
    """How a sentence names a block: "Phường" → "khối phường", "Xã, đặc khu" → "khối xã,
    đặc khu", "Khối phường" → "khối phường". Only a leading capital is lowered: an acronym
    ("TP Hạ Long") and later words (names) keep theirs."""
    label = label.strip()
    if label.casefold().startswith("khối "):
        label = label[5:]
    if label[:1].isupper() and not label[1:2].isupper():
        label = label[:1].lower() + label[1:]
    return f"khối {label}"


# --- publishing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """One commune's published figures (docs/design.md §5): what a Result row and its fields hold."""

    total: Decimal  # exact sum of the field scores, plus the bonus/deduction points
    applicable_max: Decimal
    index: Decimal  # index_of(total, applicable_max)
    rank: int  # "xếp thứ rank/rank_of"
    rank_of: int
    classification: str
    field_ranks: dict[object, tuple[int, int]]  # field → (r, N) of "xếp hạng r/N hạng"
    adjustment: Decimal = Decimal(0)  # bonus (+) / deduction (−) points outside the tree
    block: str = ""  # the label of its ranking block ("" when the period has none)


def standings(
    field_scores: Mapping[object, Mapping[object, Decimal]],
    applicable_max: Mapping[object, Decimal],
    bands: Iterable[tuple[str, Decimal]] = DEFAULT_BANDS,
    adjustments: Mapping[object, Decimal] | None = None,
    blocks: Mapping[object, str] | None = None,
) -> dict[object, Standing]:
    """The published figures of every ranked commune, keyed like `field_scores`.

    `field_scores` holds each commune's field scores ({field: score}); a field missing for a
    commune (none of its criteria applies there) adds nothing and is not ranked for it: its
    field_ranks has no entry, and the field's N counts only the communes that have it.
    `adjustments` holds bonus (+) or deduction (−)
    points outside the criteria tree (điểm thưởng, điểm trừ; none: 0). Total = exact sum of
    the field scores plus the adjustment; index = total / applicable max × 100 (the maximum is
    the tree's: a bonus may lift the index above 100); overall rank = competition rank of
    the printed index; field rank = dense rank of the field score (adjustments belong to no
    field); classification by the printed index.
    `blocks` maps each commune to the label of its ranking block (docs/design.md §5 Blocks): the
    overall and field ranks, and their N, are then computed within each block; the bands
    are the same for every block. None: one block of every commune.
    """
    bands = check_bands(bands)
    zero = Decimal(0)
    adjustments = adjustments or {}
    fields = list(dict.fromkeys(field for scores in field_scores.values() for field in scores))
    totals = {
        key: sum(scores.values(), adjustments.get(key, zero))
        for key, scores in field_scores.items()
    }
    indices = {key: index_of(total, applicable_max[key]) for key, total in totals.items()}
    # Rank and classify on the printed (2-decimal) index so readers can check from the table.
    printed = {key: round_printed(index) for key, index in indices.items()}
    groups = [field_scores]  # each block's communes with their field scores
    if blocks:
        by_block: dict[str, dict] = {}
        for key, scores in field_scores.items():
            by_block.setdefault(blocks[key], {})[key] = scores
        groups = list(by_block.values())
    overall: dict[object, tuple[int, int]] = {}
    by_field: list[dict[object, tuple[int, int]]] = [{} for _ in fields]
    for group in groups:
        overall.update(
            competition_ranks(printed if group is field_scores else {k: printed[k] for k in group})
        )
        for field, ranks in zip(fields, by_field):
            ranks.update(
                dense_ranks({key: scores[field] for key, scores in group.items() if field in scores})
            )
    return {
        key: Standing(
            total=totals[key],
            applicable_max=applicable_max[key],
            index=indices[key],
            rank=overall[key][0],
            rank_of=overall[key][1],
            classification=_label(printed[key], bands),
            field_ranks={
                field: ranks[key] for field, ranks in zip(fields, by_field) if key in ranks
            },
            adjustment=adjustments.get(key, zero),
            block=blocks[key] if blocks else "",
        )
        for key in field_scores
    }


# --- TTHC figures (kết quả giải quyết thủ tục hành chính) ---------------------------------

# The columns of ProcedureFigures and of the `import_tthc` file, with what people call them.
PROCEDURE_FIGURES = {
    "received": "số hồ sơ tiếp nhận",
    "processed": "số hồ sơ đã giải quyết",
    "on_time": "số hồ sơ đúng hạn",
    "late": "số hồ sơ trễ hạn",
    "online": "số hồ sơ nộp trực tuyến",
}


def parse_count(text: str | int | None) -> int:
    """A number of dossiers: a non-negative whole number ("127"); refuses "12,5", "-3", "1.234"."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        raw = str(text or "").strip()
        if not raw.isascii() or not raw.isdigit():
            raise RuleError(f"“{raw}” không phải là số nguyên không âm.")
        value = int(raw)
    if value < 0:
        raise RuleError(f"“{value}” không phải là số nguyên không âm.")
    return value


def check_procedure_figures(
    received, processed, on_time, late, online=None
) -> list[tuple[str, str]]:
    """Every problem of one commune's TTHC figures as (column, Vietnamese message); empty when
    they are sound. Each count is a non-negative whole number (`online` may be None: not
    reported); on time (early included) + late = processed; processed ≤ received; online ≤
    received. A relation is checked only when its counts are sound."""
    given = {"received": received, "processed": processed, "on_time": on_time, "late": late}
    if online is not None:
        given["online"] = online
    errors = [
        (name, f"{PROCEDURE_FIGURES[name].capitalize()} “{value}” phải là số nguyên không âm.")
        for name, value in given.items()
        if isinstance(value, bool) or not isinstance(value, int) or value < 0
    ]
    bad = {name for name, _ in errors}
    if not bad & {"processed", "on_time", "late"} and on_time + late != processed:
        errors.append(
            (
                "processed",
                f"Số hồ sơ đã giải quyết ({processed}) phải bằng số đúng hạn cộng số trễ hạn "
                f"({on_time} + {late} = {on_time + late}).",
            )
        )
    if not bad & {"processed", "received"} and processed > received:
        errors.append(
            (
                "processed",
                f"Số hồ sơ đã giải quyết ({processed}) vượt quá số hồ sơ tiếp nhận ({received}).",
            )
        )
    if online is not None and not bad & {"online", "received"} and online > received:
        errors.append(
            (
                "online",
                f"Số hồ sơ nộp trực tuyến ({online}) vượt quá số hồ sơ tiếp nhận ({received}).",
            )
        )
    return errors


def late_share(late: int, processed: int) -> Decimal:
    """Late dossiers as a % of those processed, half-up to 2 decimals; 0 when none processed."""
    if not processed:
        return Decimal(0)
    return round_printed(Decimal(late) * HUNDRED / Decimal(processed))


def format_procedure_figures(received, processed, on_time, late, online=None) -> str:
    """The figures as the commune report prints them: "tiếp nhận 130 hồ sơ, đã giải quyết 127,
    đúng hạn 127, trễ hạn 0 (0% trễ hạn); nộp trực tuyến 98" (no online part when None)."""
    text = (
        f"tiếp nhận {received} hồ sơ, đã giải quyết {processed}, đúng hạn {on_time}, "
        f"trễ hạn {late} ({format_total(late_share(late, processed))}% trễ hạn)"
    )
    return text if online is None else f"{text}; nộp trực tuyến {online}"


# --- the period's stage (docs/design.md §4) ------------------------------------------------------

# Stages in order, with the labels every page prints ("tự đánh giá → thẩm định → phản hồi →
# sẵn sàng công bố → đã công bố").
STAGE_SELF_ASSESSMENT = "self_assessment"
STAGE_APPRAISAL = "appraisal"
STAGE_REPLY = "reply"
STAGE_READY = "ready"
STAGE_PUBLISHED = "published"
STAGES: tuple[tuple[str, str], ...] = (
    (STAGE_SELF_ASSESSMENT, "Tự đánh giá"),
    (STAGE_APPRAISAL, "Thẩm định"),
    (STAGE_REPLY, "Phản hồi"),
    (STAGE_READY, "Sẵn sàng công bố"),
    (STAGE_PUBLISHED, "Đã công bố"),
)


@dataclass(frozen=True)
class StageFacts:
    """What a period's stage depends on, as counts (scoring.selectors.stage_facts reads them)."""

    published: bool
    assessments: int  # of the period
    ready: int  # appraised, or announced and agreed (replied in time, or silent past the deadline)
    self_assessing: int  # drafts that may still be handed in (their deadline not passed)
    open_rounds: int  # announced, the reply deadline not passed, the reply not sent
    unanswered: int  # disagreements sent and not answered by the appraisal team


def period_stage(facts: StageFacts) -> str:
    """The period's stage, derived, never stored: it advances by itself as communes hand in,
    are appraised, reply and are answered, and as deadlines pass.

    Published is published. An open reply round or an unanswered disagreement is the reply
    stage. Every commune ready is "sẵn sàng công bố". A commune that may still hand in its
    self-assessment keeps the period in self-assessment; anything else is appraisal.
    """
    if facts.published:
        return STAGE_PUBLISHED
    if facts.open_rounds or facts.unanswered:
        return STAGE_REPLY
    if facts.assessments and facts.ready == facts.assessments:
        return STAGE_READY
    if facts.self_assessing:
        return STAGE_SELF_ASSESSMENT
    return STAGE_APPRAISAL


def stage_label(stage: str) -> str:
    return dict(STAGES)[stage]
