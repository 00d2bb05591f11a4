"""Administrative units, their lineage after mergers, and who works for which unit."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    PROVINCE = "province", _("Cấp tỉnh")
    DISTRICT = "district", _("Cấp huyện")
    COMMUNE = "commune", _("Cấp xã")


class Kind(models.TextChoices):
    TINH = "tinh", _("Tỉnh")
    THANH_PHO_TW = "thanh_pho_tw", _("Thành phố trực thuộc Trung ương")
    HUYEN = "huyen", _("Huyện")
    QUAN = "quan", _("Quận")
    THI_XA = "thi_xa", _("Thị xã")
    THANH_PHO = "thanh_pho", _("Thành phố")
    XA = "xa", _("Xã")
    PHUONG = "phuong", _("Phường")
    THI_TRAN = "thi_tran", _("Thị trấn")
    DAC_KHU = "dac_khu", _("Đặc khu")


# A kind as a common noun inside a sentence (a city under the central government is still
# "thành phố Hải Phòng" there); communes/wording.py builds its phrases from it.
KIND_WORD = {
    Kind.TINH: "tỉnh",
    Kind.THANH_PHO_TW: "thành phố",
    Kind.HUYEN: "huyện",
    Kind.QUAN: "quận",
    Kind.THI_XA: "thị xã",
    Kind.THANH_PHO: "thành phố",
    Kind.XA: "xã",
    Kind.PHUONG: "phường",
    Kind.THI_TRAN: "thị trấn",
    Kind.DAC_KHU: "đặc khu",
}


def kind_word(kind: str) -> str:
    """A kind as a common noun inside a sentence: "xã", "phường", "thành phố", "huyện"."""
    return KIND_WORD[Kind(kind)]


LEVEL_OF_KIND = {
    Kind.TINH: Level.PROVINCE,
    Kind.THANH_PHO_TW: Level.PROVINCE,
    Kind.HUYEN: Level.DISTRICT,
    Kind.QUAN: Level.DISTRICT,
    Kind.THI_XA: Level.DISTRICT,
    Kind.THANH_PHO: Level.DISTRICT,
    Kind.XA: Level.COMMUNE,
    Kind.PHUONG: Level.COMMUNE,
    Kind.THI_TRAN: Level.COMMUNE,
    Kind.DAC_KHU: Level.COMMUNE,
}
# A unit's parent is one level up (a commune under a district), or two after 1/7/2025
# (a commune directly under its province).
ALLOWED_PARENT_LEVELS = {
    Level.PROVINCE: set(),
    Level.DISTRICT: {Level.PROVINCE},
    Level.COMMUNE: {Level.DISTRICT, Level.PROVINCE},
}


class UnitQuerySet(models.QuerySet):
    def active(self, on=None):
        """Units in force on the date `on` (default: all not yet dissolved)."""
        if on is None:
            return self.filter(active_to__isnull=True)
        return self.filter(
            Q(active_from__isnull=True) | Q(active_from__lte=on),
            Q(active_to__isnull=True) | Q(active_to__gt=on),
        )

    def communes(self):
        return self.filter(level=Level.COMMUNE)

    def under(self, unit_ids):
        """The units with these ids and every unit below them (the tree is at most 3 deep)."""
        unit_ids = list(unit_ids)
        return self.filter(
            Q(pk__in=unit_ids) | Q(parent_id__in=unit_ids) | Q(parent__parent_id__in=unit_ids)
        )


class Unit(models.Model):
    code = models.CharField(_("mã đơn vị"), max_length=20, unique=True)
    name = models.CharField(_("tên đơn vị"), max_length=200)
    level = models.CharField(_("cấp"), max_length=10, choices=Level.choices, editable=False)
    kind = models.CharField(_("loại đơn vị"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    active_from = models.DateField(_("hiệu lực từ ngày"), null=True, blank=True)
    active_to = models.DateField(_("hết hiệu lực từ ngày"), null=True, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "parent"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.level = LEVEL_OF_KIND[self.kind]
        super().save(*args, **kwargs)

    def clean(self):
        level = LEVEL_OF_KIND.get(self.kind)
        if level is None:
            return
        allowed = ALLOWED_PARENT_LEVELS[level]
        if self.parent is None and allowed and level == Level.COMMUNE:
            raise ValidationError({"parent": _("Đơn vị cấp xã phải có đơn vị cấp trên.")})
        if self.parent is not None:
            if self.parent_id == self.pk:
                raise ValidationError({"parent": _("Đơn vị không thể là cấp trên của chính nó.")})
            if self.parent.level not in allowed:
                raise ValidationError(
                    {
                        "parent": _("%(kind)s không thể trực thuộc %(parent)s.")
                        % {"kind": self.get_kind_display(), "parent": self.parent.name}
                    }
                )
        if self.active_from and self.active_to and self.active_to <= self.active_from:
            raise ValidationError({"active_to": _("Ngày hết hiệu lực phải sau ngày hiệu lực.")})

    @property
    def kind_word(self) -> str:
        """The unit's kind inside a sentence: "xã", "phường", "đặc khu"."""
        return kind_word(self.kind)

    def ancestor_ids(self) -> list[int]:
        """Ids of this unit and the units above it, nearest first (no query for loaded parents)."""
        ids, unit = [], self
        while unit is not None:
            ids.append(unit.pk)
            unit = unit.parent if unit.parent_id else None
        return ids


class ProvinceManager(models.Manager.from_queryset(UnitQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(level=Level.PROVINCE)


class DistrictManager(models.Manager.from_queryset(UnitQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(level=Level.DISTRICT)


class CommuneManager(models.Manager.from_queryset(UnitQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(level=Level.COMMUNE)


class Province(Unit):
    objects = ProvinceManager()

    class Meta:
        proxy = True
        verbose_name = _("tỉnh, thành phố")
        verbose_name_plural = _("tỉnh, thành phố")


class District(Unit):
    objects = DistrictManager()

    class Meta:
        proxy = True
        verbose_name = _("huyện, quận, thị xã")
        verbose_name_plural = _("huyện, quận, thị xã")


class Commune(Unit):
    objects = CommuneManager()

    class Meta:
        proxy = True
        verbose_name = _("đơn vị cấp xã")
        verbose_name_plural = _("đơn vị cấp xã (xã, phường, thị trấn, đặc khu)")


class Succession(models.Model):
    """Lineage: after the 2025 mergers one new commune has several predecessors."""

    predecessor = models.ForeignKey(
        Unit, verbose_name=_("đơn vị cũ"), on_delete=models.CASCADE, related_name="successions"
    )
    successor = models.ForeignKey(
        Unit, verbose_name=_("đơn vị mới"), on_delete=models.CASCADE, related_name="predecessions"
    )
    effective_date = models.DateField(_("ngày hiệu lực"))

    class Meta:
        verbose_name = _("sáp nhập, kế thừa")
        verbose_name_plural = _("sáp nhập, kế thừa")
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="unique_succession"),
            models.CheckConstraint(
                condition=~Q(predecessor=models.F("successor")), name="succession_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.predecessor} → {self.successor} ({self.effective_date:%d/%m/%Y})"


class Role(models.TextChoices):
    COMMUNE_OFFICER = "commune_officer", _("Công chức cấp xã")
    APPRAISER = "appraiser", _("Thành viên tổ thẩm định")
    LEADER = "leader", _("Lãnh đạo")


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("phân quyền")
        verbose_name_plural = _("phân quyền")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="unique_membership")
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} – {self.unit}"
