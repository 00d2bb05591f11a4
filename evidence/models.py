"""Evidence (tài liệu kiểm chứng): files or document references proving self scores."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scoring.models import Assessment, Score


def evidence_path(instance, filename):
    """A random name under evidence/<period>/: the original name is kept only in the database."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"evidence/{instance.assessment.period_id}/{uuid.uuid4().hex}{suffix}"


class Evidence(models.Model):
    assessment = models.ForeignKey(
        Assessment, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="evidence"
    )
    scores = models.ManyToManyField(
        Score, verbose_name=_("chứng minh cho tiêu chí"), related_name="evidence", blank=True
    )
    file = models.FileField(_("tệp"), upload_to=evidence_path, blank=True, max_length=200)
    original_name = models.CharField(_("tên tệp gốc"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"), default=0)
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64, blank=True, db_index=True)
    content_type = models.CharField(_("kiểu nội dung"), max_length=100, blank=True)
    # A document reference instead of (or beside) a file.
    doc_number = models.CharField(_("số, ký hiệu văn bản"), max_length=100, blank=True)
    doc_date = models.DateField(_("ngày ban hành"), null=True, blank=True)
    doc_issuer = models.CharField(_("cơ quan ban hành"), max_length=200, blank=True)
    description = models.CharField(_("trích yếu"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tải lên"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("thời điểm tải lên"), auto_now_add=True)
    # Sent with the commune's disagreement on a provisional result (scoring.Reply), if so.
    reply = models.ForeignKey(
        "scoring.Reply",
        verbose_name=_("gửi kèm ý kiến phản hồi"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence",
    )

    class Meta:
        verbose_name = _("tài liệu kiểm chứng")
        verbose_name_plural = _("tài liệu kiểm chứng")
        ordering = ["assessment", "uploaded_at"]

    def __str__(self):
        return self.original_name or self.doc_number or f"#{self.pk}"

    def get_absolute_url(self):
        return reverse("evidence:download", args=[self.pk])

    @property
    def is_reference(self) -> bool:
        return not self.file
