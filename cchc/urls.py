"""URLs of docs/design.md §7 (◆: other tools and tests rely on them)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from scoring.views.dashboard import favicon, healthz

from . import admin_site  # noqa: F401 (the admin's Vietnamese titles and yes/no icons)

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("evidence/", include("evidence.urls")),
    path("", include("notifications.urls")),
    path("", include("jobs.urls")),
    path("", include("reports.urls")),
    path("", include("scoring.urls")),
]
