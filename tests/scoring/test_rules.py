"""scoring/rules.py without a database: the reference result and the edges of docs/design.md §5."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import rules
from scoring.rules import (
    DEFAULT_BANDS,
    Node,
    RuleError,
    check_bands,
    check_score,
    classify,
    competition_ranks,
    dense_ranks,
    field_of,
    field_totals,
    format_bands,
    format_date,
    format_score,
    format_signed,
    format_total,
    index_of,
    is_weak,
    parse_bands,
    parse_date,
    parse_decimal,
    points_from_percent,
    round_printed,
    standings,
    tree_errors,
)

D = Decimal

GOOD = "Hoàn thành tốt nhiệm vụ"
EXCELLENT = "Hoàn thành xuất sắc nhiệm vụ"
DONE = "Hoàn thành nhiệm vụ"
NOT_DONE = "Chưa hoàn thành nhiệm vụ"

# docs/design.md §5: xã Đồng Tâm, huyện Ninh Giang, 2022 — field → (max, score).
DONG_TAM = {
    "1": ("15", "11.84"),
    "2": ("5", "4.75"),
    "3": ("18.5", "16.62"),
    "4": ("6", "6"),
    "5": ("11", "11"),
    "6": ("7", "5"),
    "7": ("11.5", "10.19"),
    "8": ("2", "1.577"),
    "9": ("14", "11.49"),
    "10": ("10", "9.28"),
}


# --- parse_decimal ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11,84", "11.840"),
        ("11.84", "11.840"),
        (" 18,5 ", "18.500"),
        ("6", "6.000"),
        ("0", "0.000"),
        ("1,577", "1.577"),
        ("1,5775", "1.578"),  # half-up to 3 decimals
        ("1,5774", "1.577"),
        ("0,0005", "0.001"),
        ("-2,5", "-2.500"),
        ("1\u00a0,5", "1.500"),  # a no-break space pasted from a spreadsheet
        (6, "6.000"),
        (D("11.84"), "11.840"),
    ],
)
def test_parse_decimal_accepts_comma_or_point(text, expected):
    value = parse_decimal(text)
    assert value == D(expected) and str(value) == expected


@pytest.mark.parametrize(
    "text", ["1.234,5", "1,234.5", "1.234.567", "1,2,3", "abc", "", None, "NaN", "Infinity", "1e", True]
)
def test_parse_decimal_refuses_what_is_not_one_number(text):
    with pytest.raises(RuleError):
        parse_decimal(text)


def test_parse_decimal_message_names_the_value_in_vietnamese():
    with pytest.raises(RuleError, match="“1.234,5” không phải là số hợp lệ"):
        parse_decimal("1.234,5")
    with pytest.raises(RuleError, match="“mười” không phải là số"):
        parse_decimal("mười")


def test_parse_decimal_to_other_places():
    assert parse_decimal("79,995", places=D("0.01")) == D("80.00")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1e400", "“1e400” không phải là số (không ghi dạng lũy thừa như 1e5)."),
        ("-2E+3", "“-2E+3” không phải là số (không ghi dạng lũy thừa như 1e5)."),
        ("NaN", "“NaN” không phải là số."),
        ("-Infinity", "“-Infinity” không phải là số."),
        ("1_000", "“1_000” không phải là số."),
        ("\x00", "“\ufffd” không phải là số."),
        ("٣", "“٣” không phải là số."),  # Decimal() would read an Arabic-Indic three
        ("9" * 16, f"“{'9' * 16}” quá lớn (tối đa 15 chữ số phần nguyên)."),
        ("7" * 100_000, f"“{'7' * 30}…” quá lớn (tối đa 15 chữ số phần nguyên)."),
        ("x" * 100_000, f"“{'x' * 30}…” không phải là số."),
        (10**400, f"“{'1' + '0' * 29}…” quá lớn (tối đa 15 chữ số phần nguyên)."),
        (D("1e400"), "“1E+400” quá lớn (tối đa 15 chữ số phần nguyên)."),
    ],
)
def test_parse_decimal_refuses_exponents_non_finite_and_huge_values_by_name(text, message):
    # "1e400" used to parse, then break quantize with decimal.InvalidOperation: a 500.
    with pytest.raises(RuleError) as refused:
        parse_decimal(text)
    assert str(refused.value) == message


@given(st.text(max_size=40) | st.from_regex(r"\A[ +-]?[0-9]{0,20}([.,][0-9]{0,8})?([eE][+-]?[0-9]{1,4})?\Z"))
def test_parse_decimal_returns_a_bounded_score_or_a_rule_error_for_any_text(text):
    try:
        value = parse_decimal(text)
    except RuleError as error:
        assert "“" in str(error)
    else:
        assert value.is_finite() and value.as_tuple().exponent == -3 and abs(value) < D(10) ** 15


@given(st.decimals(min_value=D("-1e14"), max_value=D("1e14"), places=6, allow_nan=False))
def test_parse_decimal_reads_back_what_a_spreadsheet_writes(value):
    expected = value.quantize(D("0.001"), rounding="ROUND_HALF_UP")
    text = format(value, "f")
    assert parse_decimal(text) == expected
    assert parse_decimal(text.replace(".", ",")) == expected


# --- formatting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("11.84", "11,84"),
        ("11.840", "11,84"),
        ("6", "6"),
        ("6.000", "6"),
        ("1.577", "1,577"),
        ("18.5", "18,5"),
        ("0", "0"),
        ("0.000", "0"),
        ("100", "100"),
        ("10.0005", "10,001"),  # stored scores have 3 decimals
        ("-0.000", "0"),
    ],
)
def test_format_score_drops_trailing_zeros(value, text):
    assert format_score(D(value)) == text


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**6, max_value=10**6))
def test_score_texts_are_the_exact_number_and_the_printed_score(value):
    # The results page formats each field cell once for both (rules.score_texts).
    assert rules.score_texts(value) == (rules.plain_decimal(value), format_score(value))


@pytest.mark.parametrize("value", ["12.500", "-0.000", "0", "1E+2", "1.2345", "99.9995", "1E-7"])
def test_score_texts_at_the_edges(value):
    assert rules.score_texts(D(value)) == (rules.plain_decimal(D(value)), format_score(D(value)))


def test_format_score_of_nothing_is_empty():
    assert format_score(None) == "" and format_total(None) == "" and format_signed(None) == ""


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("87.747", "87,75"),
        ("87.745", "87,75"),
        ("87.744", "87,74"),
        ("87.75", "87,75"),
        ("90", "90"),
        ("90.000", "90"),
        ("87.7", "87,7"),
        ("79.995", "80"),
        ("100", "100"),
        ("0", "0"),
    ],
)
def test_format_total_rounds_half_up_to_two_decimals(value, text):
    assert format_total(D(value)) == text


def test_round_printed_keeps_two_decimals():
    assert round_printed(D("87.745")) == D("87.75")
    assert round_printed(D("87.7449")) == D("87.74")
    assert str(round_printed(D("90"))) == "90.00"


@pytest.mark.parametrize(
    ("value", "text"),
    [("2.38", "+2,38"), ("-1.5", "-1,5"), ("0", "0"), ("0.004", "0"), ("-0.004", "0"), ("8", "+8")],
)
def test_format_signed_shows_the_direction_of_a_change(value, text):
    assert format_signed(D(value)) == text


def test_dates_are_dd_mm_yyyy():
    assert format_date(datetime.date(2023, 3, 16)) == "16/03/2023"
    assert format_date(None) == ""
    assert parse_date("16/03/2023") == datetime.date(2023, 3, 16)
    assert parse_date(" 2023-03-16 ") == datetime.date(2023, 3, 16)
    for bad in ("31/02/2023", "16.03.2023", "", "03/16/2023"):
        with pytest.raises(RuleError, match="dd/mm/yyyy"):
            parse_date(bad)


# --- scores -------------------------------------------------------------------------------


def test_a_score_lies_between_zero_and_the_maximum_inclusive():
    assert check_score(D("0"), D("2")) == D("0")
    assert check_score(D("2"), D("2")) == D("2")
    with pytest.raises(RuleError, match="Tiêu chí 1.2: điểm 2,5 vượt quá điểm tối đa 2."):
        check_score(D("2.5"), D("2"), criterion="1.2")
    with pytest.raises(RuleError, match="điểm -0,5 không được âm"):
        check_score(D("-0.5"), D("2"))


def test_survey_points_are_proportional_to_the_percentage():
    assert points_from_percent(D("92.8"), D("10")) == D("9.280")  # SIPAS: 10 × % / 100
    assert points_from_percent(D("78.85"), D("2")) == D("1.577")
    assert points_from_percent(D("78.875"), D("2")) == D("1.578")  # 1.5775 half-up
    assert points_from_percent(D("100"), D("14")) == D("14")
    for bad in ("-1", "100.01"):
        with pytest.raises(RuleError, match="0–100"):
            points_from_percent(D(bad), D("10"))


# --- totals and indices -------------------------------------------------------------------


def test_dong_tam_field_scores_add_up_to_87_747_printed_87_75():
    total = sum((D(score) for _, score in DONG_TAM.values()), D(0))
    maximum = sum((D(m) for m, _ in DONG_TAM.values()), D(0))
    assert maximum == D(100)
    assert total == D("87.747")
    assert format_total(total) == "87,75"
    index = index_of(total, maximum)
    assert index == D("87.747")
    assert classify(index) == GOOD
    assert [format_score(D(score)) for _, score in DONG_TAM.values()] == [
        "11,84", "4,75", "16,62", "6", "11", "5", "10,19", "1,577", "11,49", "9,28",
    ]


def test_index_with_all_criteria_applicable_equals_the_total():
    assert index_of(D("87.747"), D("100")) == D("87.747")
    assert index_of(D("100"), D("100")) == D("100")
    assert index_of(D("0"), D("100")) == D("0")


def test_not_applicable_criteria_leave_the_maximum_and_the_index_is_a_percentage():
    # Hà Nam 2023: a unit with no TTHC received is assessed out of 90, reported in %.
    assert index_of(D("81"), D("90")) == D("90")
    assert classify(index_of(D("81"), D("90"))) == EXCELLENT
    assert index_of(D("72"), D("90")) == D("80")
    assert index_of(D("60"), D("90")) == D("66.6666")
    assert format_total(index_of(D("60"), D("90"))) == "66,67"
    assert index_of(D("90"), D("90")) == D("100")


def test_the_index_prints_as_the_exact_quotient_rounded_once():
    # 70,196 / 98,5 × 100 = 71,26497…: printed 71,26 (rounding to 4 decimals first gave 71,27).
    index = index_of(D("70.196"), D("98.5"))
    assert format_total(index) == "71,26"
    for total in ("70.195", "70.197", "70.1965", "87.745", "79.995"):
        for maximum in ("98.5", "97", "90", "99.999", "100", "3"):
            exact = D(total) * 100 / D(maximum)
            assert round_printed(index_of(D(total), D(maximum))) == round_printed(exact)


def test_an_index_needs_a_positive_maximum():
    with pytest.raises(RuleError, match="lớn hơn 0"):
        index_of(D("0"), D("0"))


# --- ranks --------------------------------------------------------------------------------


def test_equal_field_scores_share_a_dense_rank():
    ranks = dense_ranks({"A": D("9"), "B": D("9"), "C": D("7")})
    assert ranks == {"A": (1, 2), "B": (1, 2), "C": (2, 2)}


def test_field_4_everyone_at_6_shares_rank_1_of_5():
    # docs/design.md §5: field 4 (max 6) — all communes with 6/6 are "1/5 hạng".
    values = [6] * 14 + [5.5, 5.5, 5, 4.5, 4.5, 4]
    scores = {f"X{i}": D(str(v)) for i, v in enumerate(values)}
    ranks = dense_ranks(scores)
    assert {ranks[f"X{i}"] for i in range(14)} == {(1, 5)}
    assert ranks["X14"] == (2, 5) and ranks["X16"] == (3, 5) and ranks["X19"] == (5, 5)


def test_field_6_the_lowest_of_12_distinct_values_is_12_of_12():
    # docs/design.md §5: Đồng Tâm's 5/7 in field 6 is the lowest of 12 distinct values.
    others = ["7", "7", "6.9", "6.8", "6.75", "6.5", "6.5", "6.25", "6", "5.9", "5.75", "5.5", "5.5",
              "5.25", "6", "7", "6.9", "6.8", "5.5"]
    scores = {f"X{i}": D(v) for i, v in enumerate(others)}
    scores["Đồng Tâm"] = D("5")
    assert len(scores) == 20
    ranks = dense_ranks(scores)
    assert ranks["Đồng Tâm"] == (12, 12)
    assert ranks["X0"] == (1, 12)


def test_dense_rank_distinguishes_third_decimals():
    # Field 8 keeps 3 decimals: 1,577 and 1,58 are different values.
    assert dense_ranks({"A": D("1.58"), "B": D("1.577"), "C": D("1.577")}) == {
        "A": (1, 2), "B": (2, 2), "C": (2, 2),
    }


def test_competition_ranks_skip_after_a_tie():
    ranks = competition_ranks({"A": D("90"), "B": D("87.75"), "C": D("87.75"), "D": D("80")})
    assert ranks == {"A": (1, 4), "B": (2, 4), "C": (2, 4), "D": (4, 4)}


def test_no_values_no_ranks():
    assert dense_ranks({}) == {} and competition_ranks({}) == {}


def test_ties_at_the_second_decimal_share_a_rank():
    totals = {"A": D("87.745"), "B": D("87.75"), "C": D("87.744"), "D": D("90.001")}
    printed = {key: round_printed(index_of(total, D(100))) for key, total in totals.items()}
    assert printed == {"A": D("87.75"), "B": D("87.75"), "C": D("87.74"), "D": D("90.00")}
    assert competition_ranks(printed) == {"A": (2, 4), "B": (2, 4), "C": (4, 4), "D": (1, 4)}


# --- classification -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "label"),
    [
        ("100", EXCELLENT),
        ("90", EXCELLENT),
        ("89.995", EXCELLENT),  # prints 90
        ("89.994", GOOD),
        ("80.00", GOOD),
        ("80", GOOD),
        ("79.995", GOOD),  # prints 80: classification compares the printed index
        ("79.9949", DONE),
        ("79.99", DONE),
        ("70", DONE),
        ("69.99", NOT_DONE),
        ("0", NOT_DONE),
    ],
)
def test_default_bands_compare_the_printed_index(index, label):
    assert classify(D(index)) == label
    assert classify(D(index), DEFAULT_BANDS) == label


def test_a_band_edge_through_the_whole_chain():
    # A total of 79,995/100 prints "80" and is "Hoàn thành tốt nhiệm vụ".
    index = index_of(D("79.995"), D("100"))
    assert format_total(index) == "80" and classify(index) == GOOD
    # 71,996 of 90 is 79,99555…%: printed 80, so the same band.
    index = index_of(D("71.996"), D("90"))
    assert format_total(index) == "80" and classify(index) == GOOD


def test_bands_are_data():
    bands = parse_bands("Hoàn thành nhiệm vụ:65; Hoàn thành tốt nhiệm vụ:80 ;")
    assert bands == [(GOOD, D("80")), (DONE, D("65"))]
    assert classify(D("80"), bands) == GOOD
    assert classify(D("70"), bands) == DONE
    assert classify(D("64.994"), bands) == ""  # below every band: no label
    assert classify(D("64.995"), bands) == DONE
    assert format_bands(bands) == "Hoàn thành tốt nhiệm vụ:80;Hoàn thành nhiệm vụ:65"
    khanh_hoa = parse_bands("Tốt:85;Khá:70;Trung bình:50;Yếu:0")
    assert classify(D("84.99"), khanh_hoa) == "Khá"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Chưa có mức xếp loại"),
        ("Tốt", "phải có dạng TÊN:ĐIỂM_TỐI_THIỂU"),
        (":80", "phải có dạng"),
        ("Tốt:tám mươi", "không phải là số"),
        ("Tốt:80;Tốt:70", "bị lặp lại"),
        ("Tốt:80;Khá:80", "cùng điểm tối thiểu 80"),
        ("Tốt:101", "trong khoảng 0–100"),
        ("Tốt:-1", "trong khoảng 0–100"),
    ],
)
def test_bad_bands_are_refused(text, message):
    with pytest.raises(RuleError, match=message):
        parse_bands(text)


def test_check_bands_sorts_highest_first():
    assert check_bands([("B", D(70)), ("A", D(90))]) == [("A", D(90)), ("B", D(70))]


def test_weak_fields_are_below_75_percent():
    assert is_weak(D("5"), D("7"))  # 71,4 %
    assert not is_weak(D("11.84"), D("15"))  # 78,9 %
    assert not is_weak(D("11.25"), D("15"))  # exactly 75 %
    assert is_weak(D("11.249"), D("15"))
    assert not is_weak(D("0"), D("0"))
    assert is_weak(D("8"), D("10"), threshold=D("0.9"))
    assert rules.weak_limit(D("15")) == D("11.25") and rules.weak_limit(D("0")) is None


# --- the criteria tree --------------------------------------------------------------------

DEEP = [
    Node("1", None, D("6")),
    Node("1.1", "1", D("3")),
    Node("1.1.1", "1.1", D("1")),
    Node("1.1.2", "1.1", D("2")),
    Node("1.2", "1", D("3")),
    Node("2", None, D("4")),
    Node("2.1", "2", D("4")),
]


def test_a_three_level_tree_is_sound():
    assert tree_errors(DEEP, total=D("10")) == []


def test_every_leaf_maps_to_its_field_through_three_levels():
    assert field_of(DEEP) == {
        "1": "1", "1.1": "1", "1.1.1": "1", "1.1.2": "1", "1.2": "1", "2": "2", "2.1": "2",
    }


def test_field_totals_sum_leaves_and_count_a_missing_score_as_zero():
    leaves = {"1.1.1": "1", "1.1.2": "1", "1.2": "1", "2.1": "2"}
    scores = {"1.1.1": D("1"), "1.1.2": D("1.5"), "1.2": None, "2.1": D("3.75")}
    assert field_totals(scores, leaves) == {"1": D("2.5"), "2": D("3.75")}
    assert field_totals({}, leaves) == {"1": D(0), "2": D(0)}


def test_tree_errors_name_every_problem():
    broken = [
        Node("1", None, D("6")),
        Node("1.1", "1", D("3")),
        Node("1.1.1", "1.1", D("1")),
        Node("1.1.2", "1.1", D("1")),  # 1 + 1 ≠ 3
        Node("1.2", "1", D("3")),
        Node("2", None, D("4")),
        Node("2.1", "2", D("4")),
        Node("3.1", "3", D("1")),  # no parent 3
    ]
    errors = tree_errors(broken, total=D("100"))
    assert "Tiêu chí 3.1: không có tiêu chí cha “3”." in errors
    assert "Tiêu chí 1.1: tổng điểm tối đa các tiêu chí con là 2, khác điểm tối đa 3." in errors
    assert "Tổng điểm tối đa các lĩnh vực là 10, khác 100." in errors
    assert len(errors) == 3


def test_a_cycle_is_reported():
    cycle = [Node("1", "2", D(1)), Node("2", "1", D(1))]
    assert any("vòng lặp" in error for error in tree_errors(cycle))


# --- standings (what publishing computes) -------------------------------------------------


def _fields(*scores):
    return {str(i): D(v) for i, v in enumerate(scores, start=1)}


def test_standings_of_a_small_district():
    field_scores = {
        "A": _fields("50", "37.745"),  # 87,745 → 87,75
        "B": _fields("47.75", "40"),  # 87,75
        "C": _fields("50", "37.744"),  # 87,744 → 87,74
        "D": _fields("50", "40"),  # 90
        "E": _fields("40", "39.995"),  # 79,995 → 80
    }
    result = standings(field_scores, {key: D(100) for key in field_scores})
    assert {key: (s.rank, s.rank_of) for key, s in result.items()} == {
        "A": (2, 5), "B": (2, 5), "C": (4, 5), "D": (1, 5), "E": (5, 5),
    }
    assert result["A"].total == D("87.745") and format_total(result["A"].index) == "87,75"
    assert result["D"].classification == EXCELLENT
    assert result["E"].classification == GOOD
    assert result["C"].classification == GOOD
    # Field 1: 50 (A, C, D), 47,75 (B), 40 (E) → 3 distinct values.
    assert {key: s.field_ranks["1"] for key, s in result.items()} == {
        "A": (1, 3), "B": (2, 3), "C": (1, 3), "D": (1, 3), "E": (3, 3),
    }
    # Field 2: 40 (B, D), 39,995 (E), 37,745 (A), 37,744 (C) → 4 distinct values.
    assert {key: s.field_ranks["2"] for key, s in result.items()} == {
        "A": (3, 4), "B": (1, 4), "C": (4, 4), "D": (1, 4), "E": (2, 4),
    }


def test_standings_rank_by_index_when_maxima_differ():
    # B has fewer points but a smaller applicable maximum: 81/90 = 90 % beats 85/100.
    result = standings(
        {"A": _fields("85"), "B": _fields("81")}, {"A": D(100), "B": D(90)}
    )
    assert (result["B"].rank, result["A"].rank) == (1, 2)
    assert result["B"].index == D(100) * 81 / 90 and result["B"].classification == EXCELLENT
    assert result["A"].field_ranks["1"] == (1, 2)  # field ranks stay on points


def test_standings_leave_a_missing_field_unranked_and_use_the_given_bands():
    # B has no field 2 (none of its criteria applies there): it adds nothing and is not
    # ranked in it; field 2's N counts the communes that have it.
    bands = [("Tốt", D(80)), ("Khá", D(50))]
    field_scores = {"A": {"1": D(60), "2": D(30)}, "B": {"1": D(40)}, "C": {"1": D(30), "2": D(0)}}
    result = standings(field_scores, {"A": D(100), "B": D(60), "C": D(100)}, bands)
    assert "2" not in result["B"].field_ranks and result["B"].total == D(40)
    assert result["A"].field_ranks["2"] == (1, 2) and result["C"].field_ranks["2"] == (2, 2)
    assert result["B"].field_ranks["1"] == (2, 3)
    assert (result["A"].classification, result["B"].classification) == ("Tốt", "Khá")


def test_standings_add_bonus_and_deduction_points_to_the_total_only():
    field_scores = {"A": _fields("50", "30"), "B": _fields("45", "39"), "C": _fields("40", "40")}
    result = standings(
        field_scores, dict.fromkeys(field_scores, D(100)), adjustments={"A": D("4.5"), "B": D(-2)}
    )
    assert {key: (s.total, s.adjustment, s.rank) for key, s in result.items()} == {
        "A": (D("84.5"), D("4.5"), 1), "B": (D(82), D(-2), 2), "C": (D(80), D(0), 3),
    }
    # Field ranks stay on the field scores: A's bonus belongs to no field.
    assert result["A"].field_ranks == {"1": (1, 3), "2": (3, 3)}
    # A bonus may lift the index above 100 of the tree's maximum.
    over = standings({"A": _fields("99")}, {"A": D(100)}, adjustments={"A": D(2)})
    assert over["A"].index == D(101) and over["A"].classification == EXCELLENT


def test_a_negative_index_truncates_toward_zero_and_prints_as_the_exact_quotient():
    # −70,196 / 98,5 × 100 = −71,26497…: printed −71,26, as the positive case.
    assert index_of(D("-70.196"), D("98.5")) == D("-71.2649")
    assert format_total(index_of(D("-70.196"), D("98.5"))) == "-71,26"


def test_dong_tam_ninth_of_twenty():
    field_scores = {"Đồng Tâm": {code: D(score) for code, (_, score) in DONG_TAM.items()}}
    # Eight communes above, one of them printed equal would share; here 8 strictly above.
    for i, total in enumerate(["95", "93.5", "92", "91.2", "90", "89.9", "88.6", "87.755"]):
        field_scores[f"H{i}"] = {"1": D(total)}
    for i, total in enumerate(["87.744", "86", "85", "84", "83", "80", "79.99", "75", "72", "70.5", "65"]):
        field_scores[f"L{i}"] = {"1": D(total)}
    result = standings(field_scores, {key: D(100) for key in field_scores})
    assert len(result) == 20
    assert (result["Đồng Tâm"].rank, result["Đồng Tâm"].rank_of) == (9, 20)
    assert result["H7"].rank == 8  # 87,755 prints 87,76
    assert result["L0"].rank == 10
    assert result["Đồng Tâm"].classification == GOOD


def test_place_and_date_in_the_administrative_format():
    """Nghị định 30/2020/NĐ-CP: a day below 10 and the months 1 and 2 take a leading zero."""
    assert rules.format_place_date("Hải Phòng", datetime.date(2026, 12, 1)) == (
        "Hải Phòng, ngày 01 tháng 12 năm 2026"
    )
    assert rules.format_place_date("Ninh Giang", datetime.date(2023, 3, 16)) == (
        "Ninh Giang, ngày 16 tháng 3 năm 2023"
    )
    assert rules.format_place_date("Ninh Giang", datetime.date(2024, 2, 5)) == (
        "Ninh Giang, ngày 05 tháng 02 năm 2024"
    )
    assert rules.format_place_date("", datetime.date(2024, 1, 9)) == "Ngày 09 tháng 01 năm 2024"
