"""Pure helpers of the reports: change texts, exact numbers for files, chart geometry."""

from decimal import Decimal as D

from reports import charts
from reports.formatting import percent_of, plain_decimal, points_change, rank_change, rank_text


def test_rank_change_reads_like_the_district_announcement():
    assert rank_change(9, 17) == "tăng 8 bậc"
    assert rank_change(11, 9) == "giảm 2 bậc"
    assert rank_change(4, 4) == "giữ nguyên thứ hạng"
    assert rank_change(4, None) == ""


def test_points_change_is_the_difference_of_the_printed_totals():
    # Gia Viễn 2021: 87,88, "cao hơn 2,38 điểm so với năm 2020".
    assert points_change(D("87.88"), D("85.50")) == "+2,38 điểm"
    assert points_change(D("80"), D("81.5")) == "-1,5 điểm"
    assert points_change(D("80"), D("80.001")) == "0 điểm"
    # Printed 87,75 and 85,36 → 2,39 (the exact difference 2,381 would print 2,38).
    assert points_change(D("87.745"), D("85.364")) == "+2,39 điểm"
    assert points_change(D("80"), None) == ""


def test_plain_decimal_is_exact_with_a_dot_and_no_trailing_zeros():
    assert plain_decimal(D("87.7470")) == "87.747"
    assert plain_decimal(D("90.000")) == "90"
    assert plain_decimal(D("100")) == "100"
    assert plain_decimal(D("0.000")) == "0"
    assert plain_decimal(D("1.577")) == "1.577"
    assert plain_decimal(None) == ""


def test_rank_text_and_percent():
    assert rank_text(9, 20) == "9/20"
    assert rank_text(None, 20) == ""
    assert percent_of(D("5"), D("7")) == D("71.43")
    assert percent_of(D("1"), D("0")) == D("0")


def test_totals_chart_scales_columns_to_the_maximum_and_draws_band_lines():
    items = [charts.ChartItem("Xã A", D("90")), charts.ChartItem("Xã B", D("45"), css="band-3")]
    chart = charts.totals_chart(items, maximum=D("100"), guides=[("Tốt", D("80"))])
    full, half = chart.shapes
    assert D(full.height) == D(2) * D(half.height)
    assert full.value_text == "90" and half.fill == charts.LOW_FILL
    assert [guide.label for guide in chart.guides] == ["0", "80", "100"]
    assert chart.labelled


def test_totals_chart_of_many_communes_keeps_names_in_tooltips():
    items = [charts.ChartItem(f"Xã {i}", D(i % 100)) for i in range(170)]
    chart = charts.totals_chart(items, maximum=D("100"))
    assert not chart.labelled and len(chart.shapes) == 170


def test_fields_chart_bars_are_percent_of_maximum_with_the_weak_line():
    chart = charts.fields_chart(
        [charts.ChartItem("1. Chỉ đạo", D("50"), css="weak"), charts.ChartItem("2", D("100"))],
        guide=D("75"),
    )
    weak, full = chart.shapes
    assert D(full.width) == D(2) * D(weak.width)
    assert weak.fill == charts.FILLS["weak"]
    assert chart.guides[-1].label == "75%" and chart.guides[-1].dash
