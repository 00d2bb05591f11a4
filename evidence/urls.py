from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("<int:pk>/", views.download, name="download"),
    path("scores/<int:score>/add/", views.add, name="add"),
    path("scores/<int:score>/reference/", views.reference, name="reference"),
    path("scores/<int:score>/link/", views.link, name="link"),
    path("<int:pk>/scores/<int:score>/remove/", views.remove, name="remove"),
]
