"""In-app notifications and each user's choice of e-mail (docs/design.md §3, notifications).

This app knows nothing of periods or assessments: the scoring app decides who is told what
(scoring/notices.py) and hands the messages to `notifications.services.notify`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    PERIOD_OPENED = "period_opened", _("Mở kỳ đánh giá")
    SELF_ASSESSMENT_DUE = "self_assessment_due", _("Sắp hết hạn tự đánh giá")
    APPRAISAL_DUE = "appraisal_due", _("Sắp hết hạn thẩm định")
    REPLY_DUE = "reply_due", _("Sắp hết hạn phản hồi kết quả dự kiến")
    RETURNED = "returned", _("Hồ sơ được trả lại để bổ sung")
    RESUBMITTED = "resubmitted", _("Hồ sơ đã nộp lại")
    PROVISIONAL = "provisional", _("Thông báo kết quả thẩm định dự kiến")
    REPLY_RECEIVED = "reply_received", _("Ý kiến phản hồi của đơn vị")
    REPLIES_ANSWERED = "replies_answered", _("Tổ thẩm định đã trả lời ý kiến")
    PUBLISHED = "published", _("Công bố kết quả")


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhận"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("loại thông báo"), max_length=30, choices=Kind.choices)
    text = models.TextField(_("nội dung"))
    link = models.CharField(_("đường dẫn"), max_length=500, blank=True)
    # Deduplication: a (recipient, key) pair is delivered at most once, whoever races to it
    # (a database constraint; `notify` inserts with ON CONFLICT DO NOTHING). Empty (NULL)
    # for events that happen once by nature; NULLs never collide.
    key = models.CharField(_("khóa chống gửi trùng"), max_length=120, null=True, blank=True)
    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True)
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("đã gửi thư lúc"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="unique_notification_key")
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_list"),
            # The bell's count on every page reads this index only.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self):
        return f"{self.recipient} – {self.get_kind_display()}"


class Preference(models.Model):
    """A user's choice of how to be told; no row means the defaults (e-mail on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_enabled = models.BooleanField(_("nhận thông báo qua thư điện tử"), default=True)

    class Meta:
        verbose_name = _("cài đặt thông báo")
        verbose_name_plural = _("cài đặt thông báo")

    def __str__(self):
        return str(self.user)
