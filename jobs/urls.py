from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("jobs/<int:job>/", views.job_page, name="job"),
    path("jobs/<int:job>/status.json", views.job_status, name="status"),
]
