from django.urls import path

from .views import assessment, dashboard, period

app_name = "scoring"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("periods/<str:period>/", period.overview, name="period"),
    path("periods/<str:period>/communes/<str:commune>/", assessment.detail, name="assessment"),
]
