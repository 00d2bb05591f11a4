"""Read models of the published results: ranking, commune report, lost points."""

from decimal import Decimal as D

import pytest

from reports.selectors import commune_report, lost_points, ranking
from scoring.models import Assessment, Result, Score
from scoring.selectors import latest_publication, publication_for

from .builders import make_published_period, snapshot


def _row(table, code):
    return next(row for row in table.rows if row.commune.code == code)


def test_ranking_rows_follow_rank_with_fields_in_order(publication):
    table = ranking(publication)
    assert [f.code for f in table.fields] == [str(i) for i in range(1, 11)]
    assert [row.result.rank for row in table.rows] == sorted(row.result.rank for row in table.rows)
    dong_tam = _row(table, "A")
    assert (dong_tam.total_text, dong_tam.rank_text) == ("87,75", "9/20")
    assert dong_tam.result.classification == "Hoàn thành tốt nhiệm vụ"
    assert [cell.score_text for cell in dong_tam.cells] == [
        "11,84", "4,75", "16,62", "6", "11", "5", "10,19", "1,577", "11,49", "9,28",
    ]
    assert dong_tam.cells[5].weak and not dong_tam.cells[0].weak  # 5/7 < 75 %
    assert dong_tam.cells[3].rank == 1  # 6/6 shares the first dense rank
    assert dong_tam.points_change == "+2,38 điểm"
    assert dong_tam.rank_change.startswith(("tăng", "giảm", "giữ"))


def test_ranking_counts_every_band_best_first(publication):
    table = ranking(publication)
    labels = [label for label, _ in table.counts]
    assert labels == [label for label, _ in publication.period.band_list()]
    assert sum(count for _, count in table.counts) == 20
    by_label = dict(table.counts)
    assert by_label["Hoàn thành xuất sắc nhiệm vụ"] == 3  # 93,12, 91,46, 90,25
    assert by_label["Hoàn thành nhiệm vụ"] == 3  # 79,33, 77,64, 74,82


@pytest.mark.parametrize("count", [5, 30])
def test_ranking_takes_two_queries_whatever_the_size(units, count, django_assert_num_queries):
    publication = publication_for(make_published_period(units, count=count, previous=False).period)
    # fields, results (with their field results) joined with communes
    with django_assert_num_queries(2):
        table = ranking(publication)
        assert len(table.rows) == count
        assert all(len(row.cells) == 10 for row in table.rows)


def test_publication_for_selects_a_version_and_knows_the_latest(publication):
    period = publication.period
    period.assessments.update(status=Assessment.Status.APPRAISED)  # reopened for correction
    score = Score.objects.filter(assessment__period=period, assessment__commune__code="B").first()
    score.appraised_score = D(0)
    score.save()
    snapshot(period, version=2, decision="800/QĐ-UBND", reason="Sửa điểm thị trấn Ninh Giang")
    first = publication_for(period, 1)
    assert first.version == 1 and first.latest_version == 2
    assert latest_publication(period).version == 2
    assert publication_for(period).version == 2
    assert publication_for(period, 3) is None
    assert ranking(first).info.superseded and not ranking(publication_for(period)).info.superseded


def test_commune_report_lists_fields_weak_fields_changes_and_lost_criteria(publication):
    result = Result.objects.select_related("commune", "publication__period").get(
        publication=publication, commune__code="A"
    )
    report = commune_report(result)
    assert [line.code for line in report.lines] == [str(i) for i in range(1, 11)]
    assert [line.code for line in report.weak_lines] == ["6"]
    assert report.rank_text == "9/20" and report.total_text == "87,75"
    assert report.points_change == "+2,38 điểm"
    assert report.has_previous_fields and "điểm" in report.lines[0].change_text
    lost = [item.lost for item in report.lost]
    assert lost == sorted(lost, reverse=True) and all(value > 0 for value in lost)
    # The lost points add up to what the commune missed of 100 (87,747 → 12,253).
    assert report.lost_total == D("100") - D("87.747")


def test_lost_points_averages_over_appraised_scores(units):
    from tests.factories import make_period

    period = make_period(units["district"])
    values = {
        # commune: {leaf: (self, appraised, not_applicable)}
        "A": {"1.1": ("2", "1", False), "1.2": ("4", "4", False), "2.1": ("3.5", "3", False)},
        "B": {"1.1": ("2", "2", False), "1.2": ("3", "2.5", False), "2.1": (None, "0", True)},
    }
    for score in Score.objects.filter(assessment__period=period).select_related(
        "assessment__commune", "criterion"
    ):
        self_score, appraised, na = values[score.assessment.commune.code][score.criterion.code]
        score.self_score = D(self_score) if self_score else None
        score.appraised_score = D(appraised)
        score.not_applicable = score.not_applicable_confirmed = na  # confirmed: left out
        score.save()
    items = lost_points(period)
    assert [item.code for item in items] == ["2.1", "1.2", "1.1"]
    by_code = {item.code: item for item in items}
    assert (by_code["2.1"].communes, by_code["2.1"].average_lost) == (1, D("1"))
    assert by_code["1.2"].average_lost == D("0.75")
    assert by_code["1.2"].share_losing_text == "50%"
    assert by_code["1.1"].average_difference == D("-0.5")
    assert by_code["1.1"].average_difference_text == "-0,5"
    assert by_code["1.2"].average_difference == D("-0.25")


def test_lost_points_is_one_query(units, django_assert_num_queries):
    publication = make_published_period(units, count=8, previous=False)
    with django_assert_num_queries(1):
        items = lost_points(publication.period)
    assert len(items) == 48
    assert all(item.communes == 8 for item in items)
