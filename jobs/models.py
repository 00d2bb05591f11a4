"""One record per started job (long work off the request: reports, ZIPs): who started it,
what it does, how far it is and what came of it. The page and the JSON it polls read only
this, so progress shows the same way whether a Celery worker or the request ran the job."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STALE_MESSAGE = "Tác vụ bị dừng giữa chừng (tiến trình xử lý không còn chạy). Hãy thử lại."


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang chạy")
        DONE = "done", _("Đã xong")
        FAILED = "failed", _("Thất bại")

    kind = models.CharField(_("loại tác vụ"), max_length=100)
    title = models.CharField(_("nội dung"), max_length=300)
    # What the job makes, e.g. "reports.zip:12" (publication 12): the same work is found by it
    # and done once.
    key = models.CharField(_("khóa"), max_length=200, db_index=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người khởi tạo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The unit the job works for: its staff see the job too.
    unit = models.ForeignKey(
        "communes.Unit",
        verbose_name=_("đơn vị"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("trạng thái"), max_length=10, choices=State.choices, default=State.QUEUED
    )
    done = models.PositiveIntegerField(_("đã xử lý"), default=0)
    total = models.PositiveIntegerField(_("tổng số"), default=0)
    result = models.FileField(_("tệp kết quả"), blank=True, upload_to="jobs/")
    # Where the page sends the user once the job is done (a download).
    next_url = models.CharField(_("địa chỉ kết quả"), max_length=500, blank=True)
    # The page the job's page links back to (e.g. the import page it came from).
    back_url = models.CharField(_("địa chỉ quay lại"), max_length=500, blank=True)
    # What the job does now, or once done what came of it (an import's summary), one a line.
    note = models.TextField(_("ghi chú"), blank=True)
    # The refusal: its first line the message, the lines after it the details (row errors).
    error = models.TextField(_("lỗi"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("số lần chạy"), default=0)
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    started_at = models.DateTimeField(_("bắt đầu"), null=True, blank=True)
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("tác vụ")
        verbose_name_plural = _("tác vụ")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["key", "state"], name="job_key_state")]

    def __str__(self):
        return f"{self.title} ({self.get_state_display()})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def error_message(self) -> str:
        return self.error.split("\n", 1)[0]

    @property
    def error_details(self) -> list[str]:
        return self.error.split("\n")[1:] if self.error else []

    @property
    def note_lines(self) -> list[str]:
        return self.note.split("\n") if self.note else []

    def is_stale(self, now=None) -> bool:
        """Queued or running with no news for JOB_STALE_MINUTES: its worker is gone."""
        if self.finished:
            return False
        now = now or timezone.now()
        return self.updated_at < now - timedelta(minutes=settings.JOB_STALE_MINUTES)
