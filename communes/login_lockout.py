"""Login throttling with django-axes: its app entry and the page a locked-out person sees.

Settings (cchc/settings.py): a username is locked from one address after AXES_FAILURE_LIMIT
wrong passwords, for AXES_COOLOFF_TIME. An admin unlocks early by deleting the row under
"Khóa đăng nhập › Lần đăng nhập sai" or with `manage.py axes_reset_username NAME`.
"""

import ipaddress

from axes.apps import AppConfig as AxesAppConfig
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone


class LoginLockoutConfig(AxesAppConfig):
    """django-axes under a Vietnamese heading in the admin (its models keep their label)."""

    verbose_name = "Khóa đăng nhập"

    def ready(self):
        """Name the one admin column axes leaves untranslatable (a bare method, "Status")."""
        super().ready()
        from axes.admin import AccessAttemptAdmin
        from axes.models import AccessAttempt
        from django.contrib import admin

        class LockoutAttemptAdmin(AccessAttemptAdmin):
            @admin.display(description="Trạng thái")
            def status(self, obj):
                return super().status(obj)

        if admin.site.is_registered(AccessAttempt):
            admin.site.unregister(AccessAttempt)
            admin.site.register(AccessAttempt, LockoutAttemptAdmin)


def client_ip(request) -> str | None:
    """The address a lockout is counted against.

    Behind TRUSTED_PROXY_COUNT reverse proxies, each appending the address it was reached from
    to X-Forwarded-For, the client is the N-th entry from the right (entries further left are
    whatever the client sent, so never trusted). Without proxies, or when that entry is not an
    address (a misconfigured proxy), REMOTE_ADDR: axes stores it in an address column.
    """
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if count > 0 and len(hops) >= count:
        try:
            return str(ipaddress.ip_address(hops[-count]))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    """The Vietnamese lockout page (429): when the pair may try again and whom to ask.

    Each further try while locked starts the wait again (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_
    LOCKOUT, axes' default), so the time shown counts from this request.
    """
    from axes.helpers import get_client_username, get_cool_off

    cool_off = get_cool_off(request)
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
        "retry_at": timezone.localtime(timezone.now() + cool_off) if cool_off else None,
    }
    return render(
        request,
        "registration/locked_out.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
