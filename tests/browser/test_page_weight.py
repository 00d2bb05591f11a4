"""Light pages (issue 14 item 9): the assessment page of 90 criteria, every one with guidance
and an evidence form, transfers at most 300 KB of HTML, CSS and JavaScript gzipped (evidence
files excluded), and its JavaScript is at most 30 KB. Every response the browser receives while
loading the page is measured: its body gzipped as a server would send it."""

import datetime
import gzip
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from scoring.models import Assessment
from scoring.services.setup import CriterionRow, create_period, save_criteria_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KB = 1024
GUIDANCE = (
    "Có văn bản ban hành đúng thời hạn, đủ nội dung theo hướng dẫn của cấp trên: đạt điểm tối đa; "
    "ban hành chậm hoặc thiếu nội dung: 0 điểm. Tài liệu kiểm chứng: văn bản, báo cáo kết quả."
)


def ninety_criteria():
    """10 fields of 9 leaves, one point each (90 points)."""
    rows = []
    for field in range(1, 11):
        rows.append(CriterionRow(str(field), None, f"Lĩnh vực {field}: cải cách hành chính", Decimal(9)))
        rows += [
            CriterionRow(
                f"{field}.{leaf}", str(field),
                f"Tiêu chí {field}.{leaf}: thực hiện nhiệm vụ cải cách hành chính theo kế hoạch",
                Decimal(1), evidence_required=True, guidance=GUIDANCE,
            )
            for leaf in range(1, 10)
        ]
    return rows


def test_the_assessment_page_of_90_criteria_is_light(page, live_server, log_in, units, officer):
    criteria_set = save_criteria_set("CS-90", "Bộ 90 tiêu chí", ninety_criteria(), total=Decimal(90))
    period = create_period(
        code="P90", year=2026, criteria_set=criteria_set, unit=units["district"],
        opens_on=datetime.date.today() - datetime.timedelta(days=1),
    )
    assessment = Assessment.objects.get(period=period, commune=units["commune"])
    log_in(page, "canbo_a")

    sizes = []  # (kind, raw bytes, gzipped bytes, url)

    def measure(response):
        kind = response.request.resource_type
        if kind in ("document", "stylesheet", "script") and response.ok:
            body = response.body()
            sizes.append((kind, len(body), len(gzip.compress(body, 6)), response.url))

    page.on("response", measure)
    page.goto(f"{live_server.url}{assessment.get_absolute_url()}")
    expect(page.locator("input[name=self_score]")).to_have_count(90)
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", measure)

    total = sum(zipped for _, _, zipped, _ in sizes)
    script = sum(raw for kind, raw, _, _ in sizes if kind == "script")
    report = "\n".join(f"{kind} {raw} B raw, {zipped} B gzip {url}" for kind, raw, zipped, url in sizes)
    assert {kind for kind, *_ in sizes} >= {"document", "stylesheet", "script"}, report
    assert total <= 300 * KB, report
    assert script <= 30 * KB, report
    print(f"\nassessment page, 90 criteria: {total} B gzip in all, JavaScript {script} B\n{report}")
