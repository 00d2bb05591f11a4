"""Once a commune has handed its assessment in, the page stops counting down the deadline;
once the period is published, it leads to the commune's results."""

import datetime

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from django.utils import timezone

from scoring.models import Assessment
from scoring.selectors import deadline_of

pytestmark = pytest.mark.django_db


def test_a_submitted_assessment_shows_its_submission_date(period, units):
    assessment = Assessment.objects.get(period=period, commune=units["commune"])
    late = period.self_assessment_due + datetime.timedelta(days=40)
    assert "quá hạn" in deadline_of(assessment, late).text
    assessment.status = Assessment.Status.SUBMITTED
    assessment.submitted_at = timezone.make_aware(datetime.datetime(2024, 12, 20, 9, 0))
    deadline = deadline_of(assessment, late)
    assert deadline.text == "Đã nộp ngày 20/12/2024"
    assert deadline.label == "Đã nộp ngày 20/12/2024"


def test_published_assessment_links_the_results_and_the_report(client):
    call_command("load_demo")
    # The password check itself, through django-axes, which needs the request it counts against.
    client.login(request=HttpRequest(), username="xa.dongtam", password="cchc2026")
    page = client.get("/periods/NG-2022/communes/HD-NG-02/").content.decode()
    assert "Kết quả đã công bố" in page
    assert 'href="/periods/NG-2022/communes/HD-NG-02/report.pdf"' in page
    assert 'href="/periods/NG-2022/results/"' in page
    assert "quá hạn" not in page
    assert client.get("/periods/NG-2022/communes/HD-NG-02/report.pdf")["Content-Type"] == "application/pdf"
