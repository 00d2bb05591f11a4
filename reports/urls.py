from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("periods/<str:period>/results/", views.results, name="results"),
]
