"""docs/design.md §7 ◆: the published ranking, its downloads and a commune's report."""

from django.urls import path

from . import publish_page, views

app_name = "reports"

urlpatterns = [
    path("periods/<str:period>/results/", views.results, name="results"),
    path("periods/<str:period>/results.pdf", views.results_pdf, name="results_pdf"),
    path("periods/<str:period>/results.xlsx", views.results_xlsx, name="results_xlsx"),
    path("periods/<str:period>/results.csv", views.results_csv_download, name="results_csv"),
    path(
        "periods/<str:period>/communes/<str:commune>/report.pdf",
        views.commune_report,
        name="commune_report",
    ),
    path("periods/<str:period>/reports.zip", views.reports_zip, name="reports_zip"),
    path("periods/<str:period>/lost-points/", views.lost_points_view, name="lost_points"),
    # Publishing (issue 6, 12): readiness, the ranking as it will be printed, publish after
    # typing the decision number, reopen for correction.
    path("periods/<str:period>/publish/", publish_page.publish, name="publish"),
]
