"""Who is told what, and when (docs/design.md §4, notifications): the workflow's events and
the deadline reminders, handed to `notifications.services.notify`.

Who:
- the commune's side: users with a `commune_officer` membership on the commune itself; for a
  publication also the commune's own leaders;
- the appraiser working on an assessment: its assignee, or, while nobody has claimed it, every
  appraiser of the period's unit or a unit above it;
- leaders: of the period's unit or a unit above it (publication).

Events after a transition are scheduled with `after_commit(...)` inside the transition's
transaction: they run once it is committed (never for a refused or rolled-back step), take ids
(so they can become background tasks), and a failure to tell anyone never undoes the step.
Every message carries a deduplication key, so an event or a reminder delivered twice (a retry,
two `send_reminders` runs on one date) reaches each user once.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from celery import shared_task
from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from communes.models import Membership, Role
from notifications.models import Kind, Notification
from notifications.mail import send_unsent
from notifications.services import Message, notify

from . import rules
from .models import Assessment, AuditEvent, Period, Publication, Reply

logger = logging.getLogger(__name__)

Status = Assessment.Status
# Reminders go out this many days before each deadline.
REMINDER_DAYS = (7, 3, 1)
# The appraisal team still has work on these.
APPRAISAL_WORK = (Status.SUBMITTED, Status.UNDER_REVIEW)


@shared_task(name="scoring.send_notice")
def send_notice(event_name: str, *args) -> None:
    """Run this module's event `event_name(*args)` (it takes ids) as a Celery task (on a worker
    when CELERY_BROKER_URL is set, in-process otherwise); a failure is logged, never raised
    into anything else."""
    try:
        globals()[event_name](*args)
    except Exception:
        logger.exception("Không gửi được thông báo %s%s", event_name, args)


def after_commit(event: Callable, *args) -> None:
    """Run `event(*args)` once the current transaction commits (at once outside one), as the
    send_notice task; an error is logged, never raised into the committed step."""
    transaction.on_commit(partial(send_notice.delay, event.__name__, *args), robust=True)


def _assessment_link(period_code: str, commune_code: str) -> str:
    return reverse("scoring:assessment", args=[period_code, commune_code])


def _days_text(days: int) -> str:
    return "ngày mai" if days == 1 else f"sau {days} ngày"


# --- who ------------------------------------------------------------------------------------


def _commune_people(commune_ids: Iterable[int], roles=(Role.COMMUNE_OFFICER,)) -> dict[int, list[int]]:
    """{commune id: [user id, …]} of active members with `roles` on the commune itself."""
    people = defaultdict(list)
    rows = Membership.objects.filter(
        unit_id__in=list(commune_ids), role__in=list(roles), user__is_active=True
    ).values_list("unit_id", "user_id").order_by("user_id")
    for unit_id, user_id in rows:
        people[unit_id].append(user_id)
    return people


def _unit_people(periods: Iterable[Period], role: str) -> dict[int, list[int]]:
    """{period id: [user id, …]}: active members with `role` on the period's unit or above."""
    periods = list(periods)
    chains = {period.pk: period.unit.ancestor_ids() for period in periods}
    rows = Membership.objects.filter(
        unit_id__in={pk for chain in chains.values() for pk in chain},
        role=role,
        user__is_active=True,
    ).values_list("unit_id", "user_id").order_by("user_id")
    by_unit = defaultdict(list)
    for unit_id, user_id in rows:
        by_unit[unit_id].append(user_id)
    return {
        pk: list(dict.fromkeys(user for unit in chain for user in by_unit[unit]))
        for pk, chain in chains.items()
    }


def _appraisers_of(assessment: Assessment) -> list[int]:
    """The appraiser working on it, or every appraiser of the period's unit while unclaimed."""
    if assessment.assignee_id and assessment.assignee.is_active:
        return [assessment.assignee_id]
    return _unit_people([assessment.period], Role.APPRAISER)[assessment.period_id]


def _assessment(assessment_id: int) -> Assessment:
    return Assessment.objects.select_related(
        "period__unit__parent__parent", "commune", "assignee"
    ).get(pk=assessment_id)


# --- events after a transition ----------------------------------------------------------------


def period_opened(period_id: int) -> list[int]:
    """Tell each commune's officers that self-assessment is open (send_reminders does it on
    `opens_on`; create_period when the period opens the day it is created)."""
    return notify(_opened_messages(Period.objects.filter(pk=period_id, status=Period.Status.OPEN)))


def assessment_returned(assessment_id: int, round_number: int) -> list[int]:
    """Tell the commune's officers which criteria were returned, and until when."""
    assessment = _assessment(assessment_id)
    codes = list(
        assessment.scores.exclude(revision_request="")
        .order_by("criterion__position")
        .values_list("criterion__code", flat=True)
    )
    period = assessment.period
    text = (
        f"Hồ sơ tự đánh giá của {assessment.commune.name} ({period.name}) được trả lại để bổ "
        f"sung {len(codes)} tiêu chí (lần {round_number}): {', '.join(codes)}. Vui lòng bổ "
        "sung tài liệu, giải trình rồi nộp lại."
    )
    people = _commune_people([assessment.commune_id])[assessment.commune_id]
    return notify(
        Message(user, Kind.RETURNED, text, assessment.get_absolute_url(),
                f"returned:{assessment.pk}:{round_number}")
        for user in people
    )


def assessment_resubmitted(assessment_id: int, version: int) -> list[int]:
    """Tell the appraiser working on it that the commune resubmitted after a return."""
    assessment = _assessment(assessment_id)
    text = (
        f"{assessment.commune.name} đã nộp lại hồ sơ sau khi bổ sung ({assessment.period.name}); "
        "mời tiếp tục thẩm định."
    )
    return notify(
        Message(user, Kind.RESUBMITTED, text, assessment.get_absolute_url(),
                f"resubmitted:{assessment.pk}:{version}")
        for user in _appraisers_of(assessment)
    )


def provisional_announced(assessments: Iterable[int], period: int | None = None) -> list[int]:
    """Tell each commune's officers that its provisional appraisal results are out (the reply
    round): `assessments` are ids (`period` is accepted for the caller's convenience, unused).
    One query for the assessments, one for the officers, whatever their number."""
    assessments = list(
        Assessment.objects.filter(pk__in=list(assessments)).select_related("period", "commune")
    )
    people = _commune_people(a.commune_id for a in assessments)
    messages = []
    for assessment in assessments:
        period = assessment.period
        due = getattr(period, "reply_due", None)
        until = f" trước ngày {rules.format_date(due)}" if due else ""
        text = (
            f"Tổ thẩm định đã thông báo kết quả thẩm định dự kiến của {assessment.commune.name} "
            f"({period.name}). Xem điểm thẩm định và ý kiến của Tổ, đồng ý hoặc không đồng ý "
            f"từng tiêu chí{until}; không gửi ý kiến được coi là đồng ý."
        )
        messages += [
            Message(user, Kind.PROVISIONAL, text, assessment.get_absolute_url(),
                    f"provisional:{assessment.pk}:{assessment.version}")
            for user in people[assessment.commune_id]
        ]
    return notify(messages)


def reply_received(assessment: int, round: int, disagreements: int | None = None) -> list[int]:
    """Tell the appraiser working on it that the commune sent its reply to the provisional
    results: `assessment` and its reply `round` are ids (the round makes the key: one notice
    per reply). `disagreements` (how many criteria it disagrees with) defaults to what the
    reply's audit event (`reply_sent`) lists."""
    round_id = round
    assessment = _assessment(assessment)
    if disagreements is None:
        sent = (
            AuditEvent.objects.filter(assessment=assessment, action="reply_sent")
            .order_by("-at", "-id")
            .values_list("detail", flat=True)
            .first()
        )
        if sent is not None and isinstance(sent.get("disagreements"), list):
            disagreements = len(sent["disagreements"])
    count = ""
    if disagreements is not None:
        count = (
            f": không đồng ý {disagreements} tiêu chí, cần Tổ giải trình"
            if disagreements
            else ": đồng ý toàn bộ"
        )
    text = (
        f"{assessment.commune.name} đã gửi ý kiến về kết quả thẩm định dự kiến "
        f"({assessment.period.name}){count}."
    )
    return notify(
        Message(user, Kind.REPLY_RECEIVED, text, assessment.get_absolute_url(),
                f"reply:{assessment.pk}:{round_id}")
        for user in _appraisers_of(assessment)
    )


def replies_answered(assessment: int, round: int) -> list[int]:
    """Tell the commune's officers that the team answered every disagreement of their reply
    `round` (ids): how many it accepted (the score changed) and kept, with a link to read
    the answers. One notice per round."""
    assessment = _assessment(assessment)
    answers = dict(
        Reply.objects.filter(round_id=round, disagrees=True)
        .values_list("answer")
        .annotate(Count("pk"))
        .order_by()
    )
    accepted, kept = answers.get(Reply.Answer.ACCEPTED, 0), answers.get(Reply.Answer.KEPT, 0)
    text = (
        f"Tổ thẩm định đã trả lời {accepted + kept} ý kiến không đồng ý của "
        f"{assessment.commune.name} ({assessment.period.name}): chấp nhận {accepted}, giữ "
        f"nguyên điểm {kept}. Xem giải trình của Tổ ở từng tiêu chí."
    )
    people = _commune_people([assessment.commune_id])[assessment.commune_id]
    return notify(
        Message(user, Kind.REPLIES_ANSWERED, text, assessment.get_absolute_url(),
                f"answered:{assessment.pk}:{round}")
        for user in people
    )


def period_published(publication_id: int) -> list[int]:
    """Tell the communes of the period (officers and their own leaders) and the leaders of the
    appraising unit that the results are published."""
    publication = Publication.objects.select_related("period__unit__parent__parent").get(
        pk=publication_id
    )
    period = publication.period
    decision = f" theo Quyết định số {publication.decision}" if publication.decision else ""
    version = f" (lần {publication.version})" if publication.version > 1 else ""
    text = f"Kết quả Chỉ số CCHC “{period.name}” đã được công bố{decision}{version}."
    link = reverse("reports:results", args=[period.code])
    communes = Assessment.objects.filter(period=period).values_list("commune_id", flat=True)
    people = _commune_people(communes, roles=(Role.COMMUNE_OFFICER, Role.LEADER))
    users = [user for members in people.values() for user in members]
    users += _unit_people([period], Role.LEADER)[period.pk]
    return notify(
        Message(user, Kind.PUBLISHED, text, link, f"published:{publication.pk}")
        for user in dict.fromkeys(users)
    )


# --- the daily run ----------------------------------------------------------------------------


@dataclass
class ReminderRun:
    """What send_reminders stored for a date: the new notifications' ids and count per kind."""

    date: datetime.date
    ids: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    resent: int = 0  # e-mails left unsent earlier and sent by this run


def _has_reply_round() -> bool:
    # The reply round's deadline and state come with the reply round; without them, nothing.
    return hasattr(Period, "reply_due") and hasattr(Status, "PROVISIONAL")


def send_reminders(on: datetime.date | None = None) -> ReminderRun:
    """Store and e-mail everything due on `on` (default today); returns what was new.

    First, the e-mails of the last EMAIL_RESEND_DAYS left unsent (the mail server was down)
    are sent again (notifications.mail.send_unsent).

    - "the period opens", on its `opens_on`, to the officers of every commune;
    - 7, 3 and 1 days before the self-assessment deadline, to the officers of communes that
      have not submitted (still `draft`);
    - as many days before the appraisal deadline, to the appraiser working on each submitted
      or under-review assessment (every appraiser of the unit for one nobody has claimed);
    - as many days before the reply deadline (periods with a reply round), to the officers of
      communes that have not replied.

    Draft and published periods are left alone. Never the same reminder twice to one user
    (deduplication keys under a unique constraint), so a second run on the same date, or two
    at once, stores and sends nothing more. A fixed number of queries whatever the number of
    communes: one read per kind of reminder, one INSERT per 1,000 notifications, the e-mails'
    two (notifications.services.notify), one count per kind.
    """
    on = on or timezone.localdate()
    run = ReminderRun(on, resent=send_unsent())
    due = {on + datetime.timedelta(days=days): days for days in REMINDER_DAYS}
    conditions = Q(opens_on=on) | Q(self_assessment_due__in=due) | Q(appraisal_due__in=due)
    if _has_reply_round():
        conditions |= Q(reply_due__in=due)
    periods = list(
        Period.objects.filter(conditions)
        .exclude(status__in=[Period.Status.DRAFT, Period.Status.PUBLISHED])
        .select_related("unit__parent__parent")
    )
    if not periods:
        return run
    opening = [p.pk for p in periods if p.opens_on == on and p.status == Period.Status.OPEN]
    messages = _opened_messages(Period.objects.filter(pk__in=opening)) if opening else []
    messages += _self_assessment_messages(
        {p.pk: due[p.self_assessment_due] for p in periods if p.self_assessment_due in due}
    )
    messages += _appraisal_messages([p for p in periods if p.appraisal_due in due], due)
    if _has_reply_round():
        messages += _reply_messages([p for p in periods if p.reply_due in due], due)
    run.ids = notify(messages)
    if run.ids:
        counts = (
            Notification.objects.filter(pk__in=run.ids)
            .values_list("kind")
            .annotate(Count("pk"))
            .order_by()
        )
        run.counts = dict(counts)
    return run


def _officer_rows(assessments) -> list[dict]:
    """Each of these assessments once per active officer of its commune, with what a message
    names, in ONE query."""
    return list(
        assessments.filter(
            commune__memberships__role=Role.COMMUNE_OFFICER,
            commune__memberships__user__is_active=True,
        )
        .values(
            "pk", "version", "period_id", "period__code", "period__name",
            "period__self_assessment_due", "commune__code", "commune__name",
            user=F("commune__memberships__user_id"),
        )
        .order_by("period_id", "commune__code", "user")
    )


def _link(row: dict) -> str:
    return _assessment_link(row["period__code"], row["commune__code"])


def _opened_messages(periods) -> list[Message]:
    """"The period opens", to the officers of every commune of these periods."""
    rows = _officer_rows(Assessment.objects.filter(period__in=periods))
    return [
        Message(
            row["user"],
            Kind.PERIOD_OPENED,
            f"Kỳ đánh giá “{row['period__name']}” đã mở: {row['commune__name']} tự đánh giá, "
            "chấm điểm và nộp hồ sơ kèm tài liệu kiểm chứng đến hết ngày "
            f"{rules.format_date(row['period__self_assessment_due'])}.",
            _link(row),
            f"opened:{row['pk']}",
        )
        for row in rows
    ]


def _self_assessment_messages(days_by_period: dict[int, int]) -> list[Message]:
    if not days_by_period:
        return []
    rows = _officer_rows(
        Assessment.objects.filter(period_id__in=list(days_by_period), status=Status.DRAFT)
    )
    messages = []
    for row in rows:
        days = days_by_period[row["period_id"]]
        messages.append(
            Message(
                row["user"],
                Kind.SELF_ASSESSMENT_DUE,
                f"Hạn tự đánh giá kỳ “{row['period__name']}” là ngày "
                f"{rules.format_date(row['period__self_assessment_due'])} ({_days_text(days)}); "
                f"hồ sơ của {row['commune__name']} chưa nộp.",
                _link(row),
                f"self_due:{row['pk']}:{days}",
            )
        )
    return messages


def _appraisal_messages(periods: list[Period], due: dict[datetime.date, int]) -> list[Message]:
    """One reminder per appraiser and period: how many assessments still wait for them."""
    if not periods:
        return []
    work = Assessment.objects.filter(
        period__in=[p.pk for p in periods], status__in=APPRAISAL_WORK
    ).values_list("period_id", "assignee_id", "assignee__is_active")
    appraisers = _unit_people(periods, Role.APPRAISER)
    waiting = defaultdict(lambda: defaultdict(int))  # period → user → assessments
    for period_id, assignee_id, active in work:
        users = [assignee_id] if assignee_id and active else appraisers[period_id]
        for user in users:
            waiting[period_id][user] += 1
    messages = []
    for period in periods:
        days = due[period.appraisal_due]
        link = reverse("scoring:period", args=[period.code])
        for user, count in waiting[period.pk].items():
            messages.append(
                Message(
                    user,
                    Kind.APPRAISAL_DUE,
                    f"Hạn thẩm định kỳ “{period.name}” là ngày "
                    f"{rules.format_date(period.appraisal_due)} ({_days_text(days)}); còn "
                    f"{count} hồ sơ chờ anh/chị thẩm định xong.",
                    link,
                    f"appraisal_due:{period.pk}:{days}",
                )
            )
    return messages


def _reply_messages(periods: list[Period], due: dict[datetime.date, int]) -> list[Message]:
    if not periods:
        return []
    rows = _officer_rows(
        Assessment.objects.filter(period__in=[p.pk for p in periods], status=Status.PROVISIONAL)
    )
    by_pk = {period.pk: period for period in periods}
    messages = []
    for row in rows:
        period = by_pk[row["period_id"]]
        days = due[period.reply_due]
        messages.append(
            Message(
                row["user"],
                Kind.REPLY_DUE,
                f"Hạn gửi ý kiến về kết quả thẩm định dự kiến kỳ “{period.name}” là ngày "
                f"{rules.format_date(period.reply_due)} ({_days_text(days)}); "
                f"{row['commune__name']} chưa gửi ý kiến (không gửi được coi là đồng ý).",
                _link(row),
                f"reply_due:{row['pk']}:{days}",
            )
        )
    return messages
