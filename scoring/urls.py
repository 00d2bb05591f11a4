from django.urls import path

from .views import appraisal, assessment, dashboard, period, replies

app_name = "scoring"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("periods/<str:period>/", period.overview, name="period"),
    path("periods/<str:period>/communes/<str:commune>/", assessment.detail, name="assessment"),
    # Self-assessment (issue 4): one criterion saved on its own, submit, withdraw, history.
    path(
        "periods/<str:period>/communes/<str:commune>/scores/<int:score>/",
        assessment.save_score,
        name="save_score",
    ),
    path("periods/<str:period>/communes/<str:commune>/submit/", assessment.submit, name="submit"),
    path(
        "periods/<str:period>/communes/<str:commune>/withdraw/",
        assessment.withdraw,
        name="withdraw",
    ),
    path(
        "periods/<str:period>/communes/<str:commune>/history/",
        assessment.history,
        name="history",
    ),
    # Appraisal (issue 5): the period table's CSV, bulk actions and survey import; per
    # assessment the appraised scores, workflow actions, minutes and audit history.
    path("periods/<str:period>/communes.csv", period.export_csv, name="period_csv"),
    path("periods/<str:period>/bulk/", period.bulk, name="period_bulk"),
    path("periods/<str:period>/survey/", period.survey, name="survey"),
    path(
        "periods/<str:period>/survey/template.csv",
        period.survey_template_csv,
        name="survey_template_csv",
    ),
    path(
        "periods/<str:period>/survey/template.xlsx",
        period.survey_template_xlsx,
        name="survey_template_xlsx",
    ),
    # Publish (issue 6): reports:publish (reports/publish_page.py), beside the ranking it prints.
    # The reply round (issue 12): the reply deadline, provisional results announced, the
    # commune's reply per criterion and its sending, the team's answer to a disagreement.
    path("periods/<str:period>/reply-due/", replies.set_reply_due, name="reply_due"),
    path("periods/<str:period>/provisional/", replies.announce, name="announce"),
    path(
        "periods/<str:period>/communes/<str:commune>/reply/<int:score>/",
        replies.save_reply,
        name="save_reply",
    ),
    path(
        "periods/<str:period>/communes/<str:commune>/reply/send/",
        replies.send_reply,
        name="send_reply",
    ),
    path(
        "periods/<str:period>/communes/<str:commune>/replies/<int:reply>/answer/",
        replies.answer,
        name="answer_reply",
    ),
    path(
        "periods/<str:period>/communes/<str:commune>/appraise/<int:score>/",
        appraisal.save_appraisal,
        name="appraise_score",
    ),
    path("periods/<str:period>/communes/<str:commune>/claim/", appraisal.claim, name="claim"),
    path(
        "periods/<str:period>/communes/<str:commune>/not-submitted/",
        appraisal.open_not_submitted,
        name="open_not_submitted",
    ),
    path(
        "periods/<str:period>/communes/<str:commune>/accept/",
        appraisal.accept_self,
        name="accept_self",
    ),
    path(
        "periods/<str:period>/communes/<str:commune>/return/",
        appraisal.return_criteria,
        name="return_criteria",
    ),
    path(
        "periods/<str:period>/communes/<str:commune>/appraised/",
        appraisal.mark_appraised,
        name="mark_appraised",
    ),
    path("periods/<str:period>/communes/<str:commune>/reopen/", appraisal.reopen, name="reopen"),
    path("periods/<str:period>/communes/<str:commune>/lock/", appraisal.lock, name="lock"),
    path(
        "periods/<str:period>/communes/<str:commune>/adjustments/",
        appraisal.add_adjustment,
        name="add_adjustment",
    ),
    path(
        "periods/<str:period>/communes/<str:commune>/adjustments/<int:adjustment>/delete/",
        appraisal.delete_adjustment,
        name="delete_adjustment",
    ),
    path(
        "periods/<str:period>/communes/<str:commune>/minutes.pdf",
        appraisal.minutes,
        name="minutes",
    ),
    path(
        "periods/<str:period>/communes/<str:commune>/audit/",
        appraisal.history,
        name="audit",
    ),
]
