"""Criteria sets and their trees, periods, assessments, scores, the audit log and publications."""

import functools
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from communes.models import Kind, Level, Unit
from communes.wording import Wording

from . import rules

SCORE_DIGITS = {"max_digits": 7, "decimal_places": 3}


def score_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, null=True, blank=True, **SCORE_DIGITS, **kwargs)


class CriteriaSet(models.Model):
    code = models.CharField(_("mã bộ tiêu chí"), max_length=40, unique=True)
    name = models.CharField(_("tên bộ tiêu chí"), max_length=300)
    legal_basis = models.TextField(_("căn cứ pháp lý"), blank=True)
    issued_by = models.ForeignKey(
        Unit,
        verbose_name=_("cơ quan ban hành"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="criteria_sets",
    )
    derived_from = models.ForeignKey(
        "self",
        verbose_name=_("sao chép từ bộ"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="derivatives",
    )
    total_points = models.DecimalField(
        _("tổng điểm tối đa"), default=Decimal(100), **SCORE_DIGITS
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("bộ tiêu chí")
        verbose_name_plural = _("bộ tiêu chí")
        ordering = ["-created_at", "code"]

    def __str__(self):
        return f"{self.code} – {self.name}"

    @property
    def is_locked(self) -> bool:
        """Read-only once a published period uses it (docs/design.md §3)."""
        return self.periods.filter(status=Period.Status.PUBLISHED).exists()

    @property
    def is_in_use(self) -> bool:
        return self.periods.exists()


class Method(models.TextChoices):
    SELF_ASSESSED = "self_assessed", _("Tự đánh giá")
    SURVEY = "survey", _("Điều tra xã hội học")
    SIPAS = "sipas", _("Khảo sát SIPAS")
    COMPUTED = "computed", _("Tính từ hệ thống")


class NaPolicy(models.TextChoices):
    NONE = "", _("Không được áp dụng “không áp dụng”")
    EXCLUDE = "exclude", _("Loại khỏi điểm tối đa")
    FULL = "full", _("Được điểm tối đa")


POINTS_FIELD = models.DecimalField(max_digits=9, decimal_places=3)


def _counted_sql(score, excused: models.Q) -> tuple[models.Case, models.Case]:
    """rules._counted in SQL: (points, counted maximum) of one side of a leaf."""
    maximum = models.F("criterion__max_points")
    full = excused & models.Q(criterion__na_policy=NaPolicy.FULL)
    exclude = excused & models.Q(criterion__na_policy=NaPolicy.EXCLUDE)
    zero = models.Value(Decimal(0), output_field=POINTS_FIELD)
    points = models.Case(
        models.When(full, then=maximum),
        models.When(exclude, then=zero),
        default=Coalesce(score, zero),
        output_field=POINTS_FIELD,
    )
    counted_max = models.Case(
        models.When(exclude, then=zero), default=maximum, output_field=POINTS_FIELD
    )
    return points, counted_max


class ScoreQuerySet(models.QuerySet):
    def with_points(self):
        """Each score with rules.leaf_points as SQL, so that sums stay in the database:
        `self_points`, `self_max` (the commune's side), `points`, `counted_max` (the appraised
        side, as published). Sum them after .values(…) to total per assessment or field."""
        self_assessed = models.Q(criterion__method=Method.SELF_ASSESSED)
        own_score = models.Case(
            models.When(self_assessed, then=models.F("self_score")), output_field=POINTS_FIELD
        )
        self_points, self_max = _counted_sql(
            own_score, models.Q(not_applicable=True) & self_assessed
        )
        points, counted_max = _counted_sql(
            models.F("appraised_score"),
            models.Q(not_applicable=True, not_applicable_confirmed=True),
        )
        return self.annotate(
            self_points=self_points, self_max=self_max, points=points, counted_max=counted_max
        )


class CriterionQuerySet(models.QuerySet):
    def leaves(self):
        return self.filter(children__isnull=True)

    def fields(self):
        return self.filter(parent__isnull=True)


class Criterion(models.Model):
    criteria_set = models.ForeignKey(
        CriteriaSet, verbose_name=_("bộ tiêu chí"), on_delete=models.CASCADE, related_name="criteria"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("tiêu chí cha"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    # The top-level ancestor (the field, lĩnh vực); itself for a field. Kept so that publishing
    # sums scores per field in one GROUP BY instead of walking the tree per score.
    field = models.ForeignKey(
        "self",
        verbose_name=_("lĩnh vực"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.CASCADE,
        related_name="+",
    )
    code = models.CharField(_("mã"), max_length=20)
    position = models.PositiveIntegerField(_("thứ tự"), default=0)
    depth = models.PositiveSmallIntegerField(_("cấp"), default=0, editable=False)
    name = models.TextField(_("tên tiêu chí"))
    max_points = models.DecimalField(
        _("điểm tối đa"), validators=[MinValueValidator(Decimal(0))], **SCORE_DIGITS
    )
    method = models.CharField(
        _("phương pháp chấm"), max_length=20, choices=Method.choices, default=Method.SELF_ASSESSED
    )
    evidence_required = models.BooleanField(_("cần tài liệu kiểm chứng"), default=False)
    guidance = models.TextField(_("cách chấm điểm"), blank=True)
    applies_to = models.JSONField(
        _("áp dụng cho loại đơn vị"),
        default=list,
        blank=True,
        help_text=_("Để trống: áp dụng cho mọi loại đơn vị."),
    )
    na_policy = models.CharField(
        _("khi không áp dụng"), max_length=10, choices=NaPolicy.choices, default="", blank=True
    )
    # The same criterion in the set used the year before (import_criteria --previous,
    # previous_code; the clone action fills it): last year's score beside it and the
    # year-over-year comparison of "tiêu chí dễ mất điểm" follow it (docs/design.md §6).
    previous = models.ForeignKey(
        "self",
        verbose_name=_("tiêu chí tương ứng năm trước"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = CriterionQuerySet.as_manager()

    class Meta:
        verbose_name = _("tiêu chí")
        verbose_name_plural = _("tiêu chí")
        ordering = ["criteria_set", "position"]
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="unique_criterion_code"),
            models.CheckConstraint(
                condition=models.Q(max_points__gte=0), name="criterion_max_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.code}. {self.name}"

    def clean(self):
        if self.parent_id and self.parent.criteria_set_id != self.criteria_set_id:
            raise ValidationError({"parent": _("Tiêu chí cha phải thuộc cùng bộ tiêu chí.")})
        if self.parent_id and self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("Tiêu chí không thể là cha của chính nó.")})
        unknown = set(self.applies_to or []) - set(Kind.values)
        if unknown:
            raise ValidationError(
                {"applies_to": _("Loại đơn vị không hợp lệ: %s.") % ", ".join(sorted(unknown))}
            )

    def applies(self, kind: str) -> bool:
        return not self.applies_to or kind in self.applies_to


class Period(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Đang chuẩn bị")
        OPEN = "open", _("Đang tự đánh giá")
        APPRAISAL = "appraisal", _("Đang thẩm định")
        PUBLISHED = "published", _("Đã công bố")

    code = models.CharField(_("mã kỳ đánh giá"), max_length=40, unique=True)
    year = models.PositiveSmallIntegerField(_("năm"))
    name = models.CharField(_("tên kỳ đánh giá"), max_length=300)
    criteria_set = models.ForeignKey(
        CriteriaSet, verbose_name=_("bộ tiêu chí"), on_delete=models.PROTECT, related_name="periods"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("đơn vị thẩm định"),
        on_delete=models.PROTECT,
        related_name="periods",
        help_text=_("Mọi đơn vị cấp xã đang hoạt động thuộc đơn vị này được đánh giá."),
    )
    opens_on = models.DateField(_("ngày bắt đầu tự đánh giá"))
    self_assessment_due = models.DateField(_("hạn tự đánh giá"))
    appraisal_due = models.DateField(_("hạn thẩm định"))
    # The reply round (docs/design.md §4): communes answer the provisional results until this day
    # (inclusive); none = the period has no reply round.
    reply_due = models.DateField(_("hạn phản hồi kết quả thẩm định dự kiến"), null=True, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    # Ordered classification bands: [["Hoàn thành tốt nhiệm vụ", "80"], ...], highest first.
    bands = models.JSONField(_("mức xếp loại"), default=list, blank=True)
    # Ranking blocks (khối xếp hạng), in order: [{"label": "Phường", "kinds": ["phuong"]}, …];
    # empty: one block of every commune (docs/design.md §5 Blocks).
    blocks = models.JSONField(_("khối xếp hạng"), default=list, blank=True)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("kỳ trước (để so sánh)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_periods",
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("kỳ đánh giá")
        verbose_name_plural = _("kỳ đánh giá")
        ordering = ["-year", "code"]

    def __str__(self):
        return self.name or self.code

    def get_absolute_url(self):
        return reverse("scoring:period", args=[self.code])

    def band_list(self) -> list[tuple[str, Decimal]]:
        """The period's bands as (label, minimum), highest first; the defaults when none."""
        if not self.bands:
            return list(rules.DEFAULT_BANDS)
        return rules.check_bands((label, Decimal(str(minimum))) for label, minimum in self.bands)

    def set_bands(self, bands) -> None:
        self.bands = [[label, str(minimum)] for label, minimum in rules.check_bands(bands)]

    def block_list(self) -> list[rules.Block]:
        """The period's ranking blocks, in order; [] when it ranks all its communes together."""
        return [rules.Block(block["label"], tuple(block["kinds"])) for block in self.blocks or []]

    def set_blocks(self, blocks) -> None:
        self.blocks = [
            {"label": block.label, "kinds": list(block.kinds)}
            for block in rules.check_blocks(blocks, Kind.values)
        ]

    def clean(self):
        errors = {}
        if self.opens_on and self.self_assessment_due and self.self_assessment_due < self.opens_on:
            errors["self_assessment_due"] = _("Hạn tự đánh giá phải sau ngày bắt đầu.")
        if (
            self.self_assessment_due
            and self.appraisal_due
            and self.appraisal_due < self.self_assessment_due
        ):
            errors["appraisal_due"] = _("Hạn thẩm định phải sau hạn tự đánh giá.")
        if self.reply_due and self.self_assessment_due and self.reply_due < self.self_assessment_due:
            errors["reply_due"] = _("Hạn phản hồi phải sau hạn tự đánh giá.")
        if self.bands:
            try:
                self.band_list()
            except (rules.RuleError, TypeError, ValueError) as error:
                errors["bands"] = str(error)
        if self.blocks:
            try:
                rules.check_blocks(self.block_list(), Kind.values)
            except (rules.RuleError, KeyError, TypeError, ValueError) as error:
                errors["blocks"] = str(error)
        if self.previous_id and self.previous_id == self.pk:
            errors["previous"] = _("Kỳ trước không thể là chính kỳ này.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @functools.cached_property
    def wording(self) -> Wording:
        """The words for this period's appraising unit and communes (communes/wording.py):
        `office`, `unit`, `appraising_office` need the unit only; `communes` reads the kinds of
        the period's communes in one query, when used."""
        return Wording(
            self.unit,
            lambda: self.assessments.order_by().values_list("commune__kind", flat=True).distinct(),
        )


class AssessmentQuerySet(models.QuerySet):
    def for_period(self, period):
        return self.filter(period=period).select_related("commune")


class Assessment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Đang tự đánh giá")
        SUBMITTED = "submitted", _("Đã nộp")
        UNDER_REVIEW = "under_review", _("Đang thẩm định")
        RETURNED = "returned", _("Trả lại để bổ sung")
        APPRAISED = "appraised", _("Đã thẩm định")
        PROVISIONAL = "provisional", _("Đã thông báo kết quả dự kiến")
        REPLIED = "replied", _("Đơn vị đã phản hồi")
        PUBLISHED = "published", _("Đã công bố")

    period = models.ForeignKey(
        Period, verbose_name=_("kỳ đánh giá"), on_delete=models.CASCADE, related_name="assessments"
    )
    commune = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(_("ngày nộp"), null=True, blank=True)
    appraised_at = models.DateTimeField(_("ngày thẩm định xong"), null=True, blank=True)
    # Set when the appraising unit reopens self-assessment after the deadline (audited).
    reopened_until = models.DateField(_("mở lại đến ngày"), null=True, blank=True)
    locked = models.BooleanField(_("khóa chỉnh sửa"), default=False)
    # Opened by the appraising unit after the self-assessment deadline without the commune
    # having submitted ("không nộp hồ sơ"): appraised as it stands, unscored criteria 0.
    not_submitted = models.BooleanField(_("không nộp hồ sơ"), default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thẩm định"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # How many times provisional results were announced to the commune (ReplyRound.number of
    # the latest round); 0 = never: the commune has not seen any appraised score.
    reply_round = models.PositiveSmallIntegerField(_("lần thông báo kết quả dự kiến"), default=0)
    # Optimistic lock: every write bumps it; a write based on an older version is refused.
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("hồ sơ đánh giá")
        verbose_name_plural = _("hồ sơ đánh giá")
        ordering = ["period", "commune__code"]
        constraints = [
            models.UniqueConstraint(fields=["period", "commune"], name="unique_assessment")
        ]

    def __str__(self):
        return f"{self.commune} – {self.period}"

    def get_absolute_url(self):
        return reverse("scoring:assessment", args=[self.period.code, self.commune.code])


class UpdateStamp(models.Model):
    """When and by whom a row that people edit was last changed."""

    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người cập nhật"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class Score(UpdateStamp):
    assessment = models.ForeignKey(
        Assessment, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("tiêu chí"), on_delete=models.PROTECT, related_name="scores"
    )
    self_score = score_field(_("điểm tự chấm"))
    self_note = models.TextField(_("giải trình"), blank=True)
    appraised_score = score_field(_("điểm thẩm định"))
    appraisal_note = models.TextField(_("ý kiến thẩm định"), blank=True)
    revision_request = models.TextField(_("yêu cầu bổ sung"), blank=True)
    not_applicable = models.BooleanField(_("không áp dụng"), default=False)
    not_applicable_reason = models.TextField(_("lý do không áp dụng"), blank=True)
    not_applicable_confirmed = models.BooleanField(_("đã xác nhận không áp dụng"), default=False)
    # Imported criteria (survey, SIPAS, computed): the raw figures beside the points.
    raw_value = models.DecimalField(
        _("số liệu gốc"), null=True, blank=True, max_digits=12, decimal_places=4
    )
    sample_size = models.PositiveIntegerField(_("cỡ mẫu"), null=True, blank=True)
    source = models.CharField(_("nguồn số liệu"), max_length=300, blank=True)
    version = models.PositiveIntegerField(_("phiên bản"), default=1)

    objects = ScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("điểm tiêu chí")
        verbose_name_plural = _("điểm tiêu chí")
        ordering = ["assessment", "criterion__position"]
        indexes = [
            # Publishing reads the few criteria confirmed "không áp dụng" apart from the rest.
            models.Index(
                fields=["assessment"],
                condition=models.Q(not_applicable=True),
                name="score_not_applicable",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="unique_score"),
            models.CheckConstraint(
                condition=models.Q(self_score__gte=0) | models.Q(self_score__isnull=True),
                name="self_score_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(appraised_score__gte=0)
                | models.Q(appraised_score__isnull=True),
                name="appraised_score_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.assessment} – {self.criterion.code}"

    def save(self, *args, **kwargs):
        # The last line behind the services' checks (scoring.services.ensure_editable):
        # a published assessment's scores are frozen. An assessment already loaded costs no query.
        if self.assessment_id is not None:
            if Score.assessment.is_cached(self):
                status = self.assessment.status
            else:
                status = (
                    Assessment.objects.filter(pk=self.assessment_id)
                    .values_list("status", flat=True)
                    .first()
                )
            if status == Assessment.Status.PUBLISHED:
                raise FrozenError(
                    "Hồ sơ đã công bố kết quả; không sửa được điểm. "
                    "Cần mở lại kỳ đánh giá để điều chỉnh (công bố lần mới)."
                )
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        for name in ("self_score", "appraised_score"):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                rules.check_score(value, self.criterion.max_points, criterion=self.criterion.code)
            except rules.RuleError as error:
                errors[name] = str(error)
        if errors:
            raise ValidationError(errors)


class ReplyRound(models.Model):
    """One announcement of provisional results (thông báo kết quả thẩm định dự kiến) to one
    commune, and the commune's reply, sent once (docs/design.md §4, scoring/services/replies.py)."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="reply_rounds"
    )
    number = models.PositiveSmallIntegerField(_("lần"))
    announced_at = models.DateTimeField(_("thời điểm thông báo"))
    announced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thông báo"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("thời điểm đơn vị gửi ý kiến"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người gửi ý kiến"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # When the round ended: every disagreement answered, or the deadline passed in silence.
    closed_at = models.DateTimeField(_("thời điểm kết thúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("vòng phản hồi kết quả dự kiến")
        verbose_name_plural = _("vòng phản hồi kết quả dự kiến")
        ordering = ["assessment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "number"], name="unique_reply_round")
        ]

    def __str__(self):
        return f"{self.assessment} – lần {self.number}"


class Reply(UpdateStamp):
    """The commune's opinion on one criterion in one round: it disagrees (with an explanation,
    and possibly new evidence, evidence.Evidence.reply) or took its disagreement back; then the
    appraisal team's answer: accepted (the appraised score changed) or kept (with a reason).
    A criterion without a Reply, or with `disagrees` off, is agreed."""

    class Answer(models.TextChoices):
        NONE = "", _("Chưa trả lời")
        ACCEPTED = "accepted", _("Chấp nhận")
        KEPT = "kept", _("Giữ nguyên")

    round = models.ForeignKey(
        ReplyRound, verbose_name=_("vòng phản hồi"), on_delete=models.CASCADE, related_name="replies"
    )
    score = models.ForeignKey(
        Score, verbose_name=_("điểm tiêu chí"), on_delete=models.CASCADE, related_name="replies"
    )
    disagrees = models.BooleanField(_("không đồng ý"), default=True)
    explanation = models.TextField(_("ý kiến, giải trình của đơn vị"), blank=True)
    # The appraised score the commune disagreed with, and the one after an accepted answer.
    appraised_before = score_field(_("điểm thẩm định dự kiến"))
    appraised_after = score_field(_("điểm thẩm định sau giải trình"))
    answer = models.CharField(
        _("trả lời của tổ thẩm định"), max_length=10, choices=Answer.choices, default="", blank=True
    )
    answer_note = models.TextField(_("giải trình của tổ thẩm định"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người trả lời"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("thời điểm trả lời"), null=True, blank=True)
    # Optimistic lock, as Score.version: a save or an answer based on an older one is refused.
    version = models.PositiveIntegerField(_("phiên bản"), default=1)

    class Meta:
        verbose_name = _("ý kiến về kết quả dự kiến")
        verbose_name_plural = _("ý kiến về kết quả dự kiến")
        ordering = ["round", "score__criterion__position"]
        constraints = [
            models.UniqueConstraint(fields=["round", "score"], name="unique_reply")
        ]

    def __str__(self):
        return f"{self.round} – {self.score.criterion.code}"

    @property
    def before_text(self) -> str:
        return rules.format_score(self.appraised_before)

    @property
    def after_text(self) -> str:
        return rules.format_score(self.appraised_after)


class Adjustment(models.Model):
    """Bonus or deduction points outside the tree (điểm thưởng, điểm trừ), with a reason."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="adjustments"
    )
    points = models.DecimalField(_("điểm cộng (+) / trừ (−)"), **SCORE_DIGITS)
    reason = models.TextField(_("lý do"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("điểm thưởng, điểm trừ")
        verbose_name_plural = _("điểm thưởng, điểm trừ")

    def __str__(self):
        return f"{self.assessment}: {rules.format_signed(self.points)}"


FROZEN_FIGURES_MESSAGE = (
    "Kỳ đánh giá đã công bố kết quả; không sửa được số liệu giải quyết TTHC. "
    "Cần mở lại kỳ đánh giá để điều chỉnh (công bố lần mới)."
)


PROCEDURE_FIGURES = ("received", "processed", "on_time", "late", "online")


class ProcedureFigures(UpdateStamp):
    """A commune's TTHC figures for a period (kết quả giải quyết thủ tục hành chính): context
    for field 3 and the commune report (docs/design.md §8), not a score. Imported by `import_tthc`
    or typed in the admin; frozen, like scores, once the period is published."""

    period = models.ForeignKey(
        Period,
        verbose_name=_("kỳ đánh giá"),
        on_delete=models.CASCADE,
        related_name="procedure_figures",
    )
    commune = models.ForeignKey(
        Unit,
        verbose_name=_("đơn vị"),
        on_delete=models.PROTECT,
        related_name="procedure_figures",
        limit_choices_to={"level": Level.COMMUNE},
    )
    received = models.PositiveIntegerField(_("hồ sơ tiếp nhận"))
    processed = models.PositiveIntegerField(_("đã giải quyết"))
    on_time = models.PositiveIntegerField(
        _("đúng hạn"), help_text=_("Kể cả hồ sơ giải quyết trước hạn.")
    )
    late = models.PositiveIntegerField(_("trễ hạn"))
    online = models.PositiveIntegerField(_("nộp trực tuyến"), null=True, blank=True)
    # The file it came from ("name / sha256"), or "nhập tay" for figures typed in the admin.
    source = models.CharField(_("nguồn số liệu"), max_length=400, blank=True)

    class Meta:
        verbose_name = _("số liệu giải quyết TTHC")
        verbose_name_plural = _("số liệu giải quyết TTHC")
        ordering = ["period", "commune__code"]
        constraints = [
            models.UniqueConstraint(fields=["period", "commune"], name="unique_procedure_figures"),
            # The rules.check_procedure_figures relations, kept by the database too.
            models.CheckConstraint(
                condition=models.Q(processed=models.F("on_time") + models.F("late")),
                name="procedure_processed_on_time_plus_late",
                violation_error_message=_(
                    "Số hồ sơ đã giải quyết phải bằng số đúng hạn cộng số trễ hạn."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(processed__lte=models.F("received")),
                name="procedure_processed_within_received",
                violation_error_message=_(
                    "Số hồ sơ đã giải quyết không được vượt quá số hồ sơ tiếp nhận."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(online__isnull=True)
                | models.Q(online__lte=models.F("received")),
                name="procedure_online_within_received",
                violation_error_message=_(
                    "Số hồ sơ nộp trực tuyến không được vượt quá số hồ sơ tiếp nhận."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.commune} – {self.period}"

    @property
    def late_share_text(self) -> str:
        """"0%", "3,85%": late dossiers as a share of those processed."""
        return f"{rules.format_total(rules.late_share(self.late, self.processed))}%"

    @property
    def text(self) -> str:
        """"tiếp nhận 130 hồ sơ, đã giải quyết 127, …" (rules.format_procedure_figures)."""
        return rules.format_procedure_figures(**self.as_document())

    def as_document(self) -> dict:
        """The figures as a publication keeps them (Result.procedure)."""
        return {name: getattr(self, name) for name in PROCEDURE_FIGURES}

    def clean(self):
        errors: dict[str, list[str]] = {}
        if self.period_id is not None and self.period.is_published:
            errors["period"] = [FROZEN_FIGURES_MESSAGE]
        if (
            self.period_id is not None
            and self.commune_id is not None
            and not Assessment.objects.filter(
                period_id=self.period_id, commune_id=self.commune_id
            ).exists()
        ):
            errors["commune"] = [
                _("Đơn vị này không được đánh giá trong kỳ %(period)s.")
                % {"period": self.period.code}
            ]
        figures = [self.received, self.processed, self.on_time, self.late]
        if all(value is not None for value in figures):
            for name, message in rules.check_procedure_figures(*figures, self.online):
                errors.setdefault(name, []).append(message)
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self._refuse_if_published()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_published()
        return super().delete(*args, **kwargs)

    def _refuse_if_published(self) -> None:
        # The last line behind the import's and the admin's checks, as for Score.save: a
        # published period's figures are frozen. A period already loaded costs no query.
        if self.period_id is None:
            return
        if ProcedureFigures.period.is_cached(self):
            status = self.period.status
        else:
            status = (
                Period.objects.filter(pk=self.period_id).values_list("status", flat=True).first()
            )
        if status == Period.Status.PUBLISHED:
            raise FrozenError(FROZEN_FIGURES_MESSAGE)


def label_of(choices: type[models.TextChoices], value: str):
    """The Vietnamese label of `value` among `choices`; the value itself when unknown."""
    return choices(value).label if value in choices.values else value


class AppendOnlyError(RuntimeError):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Nhật ký thay đổi chỉ được ghi thêm, không được sửa.")

    def delete(self):
        raise AppendOnlyError("Nhật ký thay đổi chỉ được ghi thêm, không được xóa.")


class AuditAction(models.TextChoices):
    """Every action the audit log records, with the one Vietnamese label every page, the
    admin and the exports show (record_event refuses an action missing here)."""

    # The commune's self-assessment.
    SCORE_CHANGED = "score_changed", _("Sửa")
    EVIDENCE_ADDED = "evidence_added", _("Thêm tài liệu kiểm chứng")
    EVIDENCE_LINKED = "evidence_linked", _("Dùng lại tài liệu kiểm chứng")
    EVIDENCE_REMOVED = "evidence_removed", _("Gỡ tài liệu kiểm chứng")
    SUBMITTED = "submitted", _("Nộp hồ sơ")
    RESUBMITTED = "resubmitted", _("Nộp lại hồ sơ")
    WITHDRAWN = "withdrawn", _("Rút lại hồ sơ")
    # The appraisal.
    REVIEW_STARTED = "review_started", _("Bắt đầu thẩm định")
    ASSIGNEE_CHANGED = "assignee_changed", _("Đổi người thẩm định")
    APPRAISED_SCORE = "appraised_score", _("Chấm điểm thẩm định")
    RETURNED = "returned", _("Trả lại để bổ sung")
    REVISION_REQUESTED = "revision_requested", _("Yêu cầu bổ sung tiêu chí")
    APPRAISED = "appraised", _("Hoàn thành thẩm định")
    NOT_SUBMITTED_APPRAISAL = "not_submitted_appraisal", _("Thẩm định hồ sơ không nộp")
    REOPENED = "reopened", _("Mở lại hồ sơ")
    LOCKED = "locked", _("Khóa hồ sơ")
    UNLOCKED = "unlocked", _("Mở khóa hồ sơ")
    # The reply round (kết quả thẩm định dự kiến).
    REPLY_DUE_SET = "reply_due_set", _("Đặt hạn phản hồi kết quả dự kiến")
    PROVISIONAL_ANNOUNCED = "provisional_announced", _("Thông báo kết quả thẩm định dự kiến")
    REPLY_SAVED = "reply_saved", _("Ghi ý kiến về kết quả dự kiến")
    REPLY_SENT = "reply_sent", _("Gửi ý kiến về kết quả dự kiến")
    REPLY_ANSWERED = "reply_answered", _("Tổ thẩm định trả lời ý kiến")
    REPLY_ROUND_CLOSED = "reply_round_closed", _("Kết thúc vòng phản hồi")
    REPLY_SILENCE = "reply_silence", _("Hết hạn phản hồi (coi như đồng ý)")
    ADJUSTMENT_ADDED = "adjustment_added", _("Thêm điểm thưởng, điểm trừ")
    ADJUSTMENT_CHANGED = "adjustment_changed", _("Sửa điểm thưởng, điểm trừ")
    ADJUSTMENT_DELETED = "adjustment_deleted", _("Xóa điểm thưởng, điểm trừ")
    # Imports and the admin.
    SCORE_IMPORTED = "score_imported", _("Nhập điểm từ tệp")
    SCORES_FILE_IMPORTED = "scores_file_imported", _("Nhập tệp điểm")
    SURVEY_IMPORTED = "survey_imported", _("Nhập số liệu khảo sát")
    SURVEY_FILE_IMPORTED = "survey_file_imported", _("Nhập tệp số liệu khảo sát")
    PROCEDURE_FIGURES_IMPORTED = "procedure_figures_imported", _("Nhập số liệu giải quyết TTHC")
    PROCEDURE_FILE_IMPORTED = "procedure_file_imported", _("Nhập tệp số liệu giải quyết TTHC")
    PROCEDURE_FIGURES_TYPED = "procedure_figures_typed", _("Nhập tay số liệu giải quyết TTHC")
    PROCEDURE_FIGURES_DELETED = "procedure_figures_deleted", _("Xóa số liệu giải quyết TTHC")
    SCORE_CHANGED_IN_ADMIN = "score_changed_in_admin", _("Sửa điểm trong trang quản trị")
    # The period.
    PERIOD_CREATED = "period_created", _("Tạo kỳ đánh giá")
    PERIOD_CHANGED = "period_changed", _("Sửa kỳ đánh giá")
    PUBLISHED = "published", _("Công bố kết quả")
    PERIOD_PUBLISHED = "period_published", _("Công bố kết quả kỳ đánh giá")
    REOPENED_FOR_CORRECTION = "reopened_for_correction", _("Mở lại để điều chỉnh")
    PERIOD_REOPENED_FOR_CORRECTION = (
        "period_reopened_for_correction",
        _("Mở lại kỳ đánh giá để điều chỉnh"),
    )


class AuditField(models.TextChoices):
    """What an audit event changed (AuditEvent.field_name), in Vietnamese."""

    STATUS = "status", _("Trạng thái")
    SELF_SCORE = "self_score", _("Điểm tự chấm")
    SELF_NOTE = "self_note", _("Giải trình")
    NOT_APPLICABLE = "not_applicable", _("Không áp dụng")
    NOT_APPLICABLE_REASON = "not_applicable_reason", _("Lý do không áp dụng")
    APPRAISED_SCORE = "appraised_score", _("Điểm thẩm định")
    APPRAISAL_NOTE = "appraisal_note", _("Ý kiến thẩm định")
    NOT_APPLICABLE_CONFIRMED = "not_applicable_confirmed", _("Xác nhận không áp dụng")
    REVISION_REQUEST = "revision_request", _("Yêu cầu bổ sung")
    RAW_VALUE = "raw_value", _("Số liệu gốc")
    SAMPLE_SIZE = "sample_size", _("Cỡ mẫu")
    SOURCE = "source", _("Nguồn số liệu")
    REOPENED_UNTIL = "reopened_until", _("Mở lại đến ngày")
    LOCKED = "locked", _("Khóa hồ sơ")
    ASSIGNEE = "assignee", _("Người thẩm định")
    EVIDENCE = "evidence", _("Tài liệu kiểm chứng")
    POINTS = "points", _("Điểm thưởng, điểm trừ")
    REPLY = "reply", _("Ý kiến về kết quả dự kiến")
    REPLY_DUE = "reply_due", _("Hạn phản hồi")


# Fields whose old and new values are yes/no: how they were written ("True", "có") → label.
_YES_NO = {"True": _("Có"), "False": _("Không"), "có": _("Có"), "không": _("Không")}
_YES_NO_FIELDS = {AuditField.LOCKED, AuditField.NOT_APPLICABLE, AuditField.NOT_APPLICABLE_CONFIRMED}


class AuditEvent(models.Model):
    """Append-only: who did what, when, to which assessment and criterion; old → new, why."""

    Action = AuditAction
    Field = AuditField

    at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    period = models.ForeignKey(
        Period,
        verbose_name=_("kỳ đánh giá"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("hồ sơ"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    criterion = models.ForeignKey(
        Criterion,
        verbose_name=_("tiêu chí"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(
        _("hành động"), max_length=40, db_index=True, choices=AuditAction.choices
    )
    field_name = models.CharField(
        _("nội dung thay đổi"), max_length=40, blank=True, choices=AuditField.choices
    )
    old_value = models.TextField(_("giá trị cũ"), blank=True)
    new_value = models.TextField(_("giá trị mới"), blank=True)
    reason = models.TextField(_("lý do"), blank=True)
    detail = models.JSONField(_("chi tiết"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("nhật ký thay đổi")
        verbose_name_plural = _("nhật ký thay đổi")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.user or 'hệ thống'} {self.action_label}"

    @property
    def action_label(self) -> str:
        return str(label_of(AuditAction, self.action))

    @property
    def field_label(self) -> str:
        return str(label_of(AuditField, self.field_name))

    def value_text(self, value: str) -> str:
        """An old or new value as people read it: a status's label, "Có"/"Không"."""
        if self.field_name == AuditField.STATUS:
            # Period events carry the period's statuses, assessment events the assessment's.
            states = Assessment.Status if self.assessment_id else Period.Status
            return str(label_of(states, value))
        if self.field_name in _YES_NO_FIELDS:
            return str(_YES_NO.get(value, value))
        return value

    @property
    def old_text(self) -> str:
        return self.value_text(self.old_value)

    @property
    def new_text(self) -> str:
        return self.value_text(self.new_value)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Nhật ký thay đổi chỉ được ghi thêm, không được sửa.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Nhật ký thay đổi chỉ được ghi thêm, không được xóa.")


class FrozenError(AppendOnlyError):
    """A published row (or a score of a published assessment) was about to change."""


FROZEN_MESSAGE = "Kết quả đã công bố không được sửa hay xóa; điều chỉnh bằng một lần công bố mới."


class FrozenQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise FrozenError(FROZEN_MESSAGE)

    def delete(self):
        raise FrozenError(FROZEN_MESSAGE)


class FrozenModel(models.Model):
    """Written once by publishing, never updated or deleted (docs/design.md §3)."""

    objects = FrozenQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._may_update(kwargs.get("update_fields")):
            raise FrozenError(FROZEN_MESSAGE)
        super().save(*args, **kwargs)

    def _may_update(self, update_fields) -> bool:
        return False

    def delete(self, *args, **kwargs):
        raise FrozenError(FROZEN_MESSAGE)


class Publication(FrozenModel):
    """One published version of a period's results. Never updated; a correction is a new one.

    The one exception: the ranking PDF, rendered after the commit, is stored once
    (save(update_fields=["ranking_pdf"]) while none is stored).
    """

    period = models.ForeignKey(
        Period, verbose_name=_("kỳ đánh giá"), on_delete=models.PROTECT, related_name="publications"
    )
    version = models.PositiveIntegerField(_("lần công bố"))
    published_at = models.DateTimeField(_("thời điểm công bố"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người công bố"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision = models.CharField(_("số quyết định"), max_length=100, blank=True)
    decision_date = models.DateField(_("ngày quyết định"), null=True, blank=True)
    reason = models.TextField(_("lý do điều chỉnh"), blank=True)
    # Communes left out of this publication, each with the reason: {"code": "reason"}.
    exclusions = models.JSONField(_("đơn vị không xếp hạng"), default=dict, blank=True)
    # The ranking PDF is rendered once per version and stored (docs/design.md §8, issue: publish).
    ranking_pdf = models.FileField(_("tệp PDF xếp hạng"), blank=True, upload_to="publications/")
    # "Tiêu chí dễ mất điểm" as published: per leaf criterion, the communes' appraised points
    # against its maximum (scoring.selectors.lost_points_by_criterion rows, decimals as
    # strings). Null for a version published before it was kept: the page then reads the
    # scores, as it did.
    lost_points = models.JSONField(_("tiêu chí dễ mất điểm"), null=True, blank=True)
    # The labels of the period's ranking blocks as published, in order (Result.block names
    # one); empty: one block. Kept here so a version prints the blocks it ranked in.
    blocks = models.JSONField(_("khối xếp hạng"), default=list, blank=True)
    # The previous period's version this one compared with (its latest when this one was
    # published): the commune reports read last year's field results from it, so a later
    # correction of last year never changes what this version prints. Null: no previous
    # period or none published then (or a version published before it was kept).
    compared_with = models.ForeignKey(
        "self",
        verbose_name=_("so sánh với lần công bố"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("lần công bố")
        verbose_name_plural = _("lần công bố")
        ordering = ["period", "-version"]
        get_latest_by = "version"
        constraints = [
            models.UniqueConstraint(fields=["period", "version"], name="unique_publication")
        ]

    def __str__(self):
        return f"{self.period} – lần {self.version}"

    def _may_update(self, update_fields) -> bool:
        return (
            update_fields is not None
            and set(update_fields) == {"ranking_pdf"}
            and Publication.objects.filter(pk=self.pk, ranking_pdf="").exists()
        )


class Result(FrozenModel):
    publication = models.ForeignKey(
        Publication, verbose_name=_("lần công bố"), on_delete=models.CASCADE, related_name="results"
    )
    commune = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="results"
    )
    total = models.DecimalField(_("tổng điểm"), max_digits=9, decimal_places=3)
    applicable_max = models.DecimalField(_("điểm tối đa áp dụng"), max_digits=9, decimal_places=3)
    index = models.DecimalField(_("chỉ số (%)"), max_digits=9, decimal_places=4)
    rank = models.PositiveIntegerField(_("xếp thứ"))
    rank_of = models.PositiveIntegerField(_("trên tổng số"))
    # The label of the ranking block `rank`/`rank_of` and the field ranks are within ("" when
    # the period ranks all its communes together).
    block = models.CharField(_("khối xếp hạng"), max_length=200, blank=True, default="")
    classification = models.CharField(_("xếp loại"), max_length=200, blank=True)
    previous_total = models.DecimalField(
        _("tổng điểm năm trước"), max_digits=9, decimal_places=3, null=True, blank=True
    )
    previous_index = models.DecimalField(
        _("chỉ số năm trước"), max_digits=9, decimal_places=4, null=True, blank=True
    )
    previous_rank = models.PositiveIntegerField(_("xếp thứ năm trước"), null=True, blank=True)
    # The earlier units this commune was compared through when it had no result of its own
    # last year (communes.lineage), as published: [{"id": 7, "code": "A", "name": "Xã A",
    # "total": "87.747", "index": "87.7470", "rank": 9, "rank_of": 20}, …]. One: the
    # previous_* figures are its; several (a merger): previous_* stay empty and no rank
    # change is printed, only each predecessor's index and rank. [] otherwise.
    previous_units = models.JSONField(_("đơn vị tiền thân năm trước"), default=list, blank=True)
    # Each field's published figures, by field code (FieldScore, encode_field_scores):
    # {"1": {"score": "12.500", "max": "15.000", "rank": 3, "rank_of": 12}, …}. One document
    # per commune rather than a row per (commune, field): the snapshot is only ever read whole,
    # and a national publication writes 3,321 rows instead of 36,531.
    field_results = models.JSONField(_("kết quả từng lĩnh vực"), default=dict)
    # Bonus (+) / deduction (−) points outside the tree, included in `total`; and each of them
    # as published: [{"points": "2.000", "reason": "…"}] (the Adjustment rows may change after
    # a reopening; this version keeps what it counted).
    adjustment = models.DecimalField(
        _("điểm thưởng, điểm trừ"), max_digits=9, decimal_places=3, default=Decimal(0)
    )
    adjustments = models.JSONField(_("các khoản thưởng, trừ"), default=list, blank=True)
    # The commune's TTHC figures as published (ProcedureFigures.as_document()), or null.
    procedure = models.JSONField(_("số liệu giải quyết TTHC"), null=True, blank=True)
    # The criteria where the commune lost points, as its report prints them: the
    # LOST_CRITERIA_KEPT it lost most on (code, name, maximum, self score, appraised points,
    # appraisal note), the points lost over all of them and how many there are:
    # {"items": [{"code": "6.2", "name": "…", "max": "2.000", "self": "2.000",
    #   "score": "1.500", "note": "…"}, …], "total": "12.253", "count": 14}.
    # Null for a version published before it was kept: the report then reads the scores.
    lost_criteria = models.JSONField(_("tiêu chí bị mất điểm"), null=True, blank=True)
    # The commune's report (PDF), rendered once after the publication commits (reports.tasks)
    # and stored like Publication.ranking_pdf: the one field set once on a frozen result.
    # db_default: publishing inserts results with raw SQL that does not name it.
    report_pdf = models.FileField(
        _("tệp PDF báo cáo"), blank=True, upload_to="reports/", db_default=""
    )

    class Meta:
        verbose_name = _("kết quả")
        verbose_name_plural = _("kết quả")
        ordering = ["publication", "rank", "commune__name"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "commune"], name="unique_result")
        ]

    def __str__(self):
        return f"{self.commune}: {rules.format_total(self.total)}"

    def _may_update(self, update_fields) -> bool:
        return (
            update_fields is not None
            and set(update_fields) == {"report_pdf"}
            and Result.objects.filter(pk=self.pk, report_pdf="").exists()
        )

    def field_scores(self) -> dict[str, "FieldScore"]:
        """Field code → FieldScore (exact Decimals), decoded from `field_results`."""
        return decode_field_scores(self.field_results)

    def predecessors(self) -> list["PreviousUnit"]:
        """The earlier units it was compared through (`previous_units`), decoded."""
        return [
            PreviousUnit(
                item["id"], item["code"], item["name"], Decimal(item["total"]),
                Decimal(item["index"]), item["rank"], item["rank_of"],
            )
            for item in self.previous_units or []
        ]


class PreviousUnit(NamedTuple):
    """One earlier unit's published result last year, as kept in Result.previous_units."""

    id: int
    code: str
    name: str
    total: Decimal
    index: Decimal
    rank: int
    rank_of: int

    def as_json(self) -> str:
        return (
            f'{{"id":{int(self.id)},"code":{json_string(self.code)},'
            f'"name":{json_string(self.name)},"total":"{self.total}","index":"{self.index}",'
            f'"rank":{int(self.rank)},"rank_of":{int(self.rank_of)}}}'
        )


class FieldScore(NamedTuple):
    """One field of a published result: its score, maximum and dense rank "rank/rank_of"
    (None for a field none of whose criteria applies to the commune: maximum 0, not ranked)."""

    score: Decimal
    max_points: Decimal
    rank: int | None
    rank_of: int | None


def encode_field_scores(scores: Mapping[str, FieldScore]) -> str:
    """FieldScores by field code → the JSON text stored in Result.field_results, decimals as
    strings so that nothing passes through a float. Written by hand, not by json.dumps:
    publishing encodes 3,321 of these at national size."""
    return "{%s}" % ",".join(
        [
            f'{json_string(code)}:{{"score":"{score}","max":"{maximum}",'
            f'"rank":{"null" if rank is None else int(rank)},'
            f'"rank_of":{"null" if rank_of is None else int(rank_of)}}}'
            for code, (score, maximum, rank, rank_of) in scores.items()
        ]
    )


@functools.lru_cache(maxsize=1024)
def json_string(text: str) -> str:
    """`text` as a JSON string (cached: codes and names repeat across communes)."""
    return json.dumps(text, ensure_ascii=False)


def decode_field_scores(document: Mapping[str, Mapping]) -> dict[str, FieldScore]:
    return {
        code: FieldScore(Decimal(f["score"]), Decimal(f["max"]), f["rank"], f["rank_of"])
        for code, f in document.items()
    }
