"""The bell in the base template's header: the signed-in user's unread count."""

from django.utils.functional import SimpleLazyObject

from .models import Notification


def unread_notifications(request) -> dict:
    """`unread_notifications`: one COUNT on the partial index, run only when a template shows
    it (the header of base.html), never for fragments, files or anonymous visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.unread().filter(recipient=user).count()
        )
    }
