"""The notification list (mark one or all read) and the e-mail preference page.

A user only ever reaches their own notifications: every lookup is filtered by recipient, so
another user's notification is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import services
from .forms import PreferenceForm
from .models import Notification, Preference

PAGE_SIZE = 30


@login_required
def notification_list(request):
    page = Paginator(Notification.objects.filter(recipient=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/list.html", {"page": page})


@require_POST
@login_required
def read(request, notification):
    """Mark one notification read, then open what it points at (or go back to the list)."""
    notice = get_object_or_404(Notification, pk=notification, recipient=request.user)
    services.mark_read(request.user, notice.pk)
    target = notice.link if request.POST.get("open") else ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


@require_POST
@login_required
def read_all(request):
    count = services.mark_read(request.user)
    messages.success(request, f"Đã đánh dấu {count} thông báo là đã đọc.")
    return redirect("notifications:list")


@login_required
def preferences(request):
    preference = Preference.objects.filter(user=request.user).first() or Preference(
        user=request.user
    )
    # An unticked box sends nothing: bind on the method, not on the body.
    form = PreferenceForm(request.POST if request.method == "POST" else None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Đã lưu cài đặt thông báo.")
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form})
