"""Who may see and do what to periods and assessments: the one place every view asks.

"May this user do X to this object" (can_*) stands beside "which objects may they see"
(visible_*), so a list never shows what a detail page refuses. Built on communes/access.py;
evidence and reports reuse visible_assessments instead of computing scope again.
Views fetch through visible_* (another commune → 404), then check can_* (wrong role → 403).
"""

import functools

from django.db.models import Q, QuerySet
from django.utils import timezone

from cchc.compiled import CompiledQuery
from communes.access import has_any_role, has_role, in_scope, memberships, units_in_scope
from communes.models import Role

from . import rules
from .models import Assessment, Method, Period


def visible_periods(user) -> QuerySet[Period]:
    """Periods run by a unit in the user's scope, or assessing a commune in it."""
    scope = units_in_scope(user)
    return (
        Period.objects.filter(Q(unit__in=scope) | Q(assessments__commune__in=scope))
        .distinct()
        .select_related("unit", "criteria_set")
    )


def visible_assessments(user) -> QuerySet[Assessment]:
    """Assessments of communes in the user's scope (any role)."""
    return Assessment.objects.filter(commune__in=units_in_scope(user)).select_related(
        "period__unit", "period__criteria_set", "commune__parent__parent"
    )


def visible_assessment(user, period: str, commune: str, *related: str) -> Assessment | None:
    """The assessment of commune code `commune` in period code `period`, if visible_assessments
    would show it (else None: the caller answers 404), with its period, the `related` objects
    and its commune up to the province.

    The scope is checked on the row read (communes.access.in_scope) rather than joined in as
    a subquery: the saves read their assessment this way, so PostgreSQL plans a plain lookup
    by two unique codes on every autosave (bench/load.py). The query is compiled once per
    process for each `related` (cchc.compiled): building it was a fifth of a save's time.
    """
    assessment = _assessment_by_codes(related).get(period, commune)
    if assessment is None:
        return None
    return assessment if in_scope(user, assessment.commune) else None


@functools.cache
def _assessment_by_codes(related: tuple[str, ...]) -> CompiledQuery:
    return CompiledQuery(
        lambda period, commune: Assessment.objects.select_related(
            "period", "commune__parent__parent", *related
        ).filter(period__code=period, commune__code=commune),
        "\x00period", "\x00commune",
    )


def is_officer_of(user, assessment) -> bool:
    return has_role(user, assessment.commune, Role.COMMUNE_OFFICER)


def can_appraise(user, assessment) -> bool:
    """Appraisers of the period's appraising unit (or a unit above it)."""
    return has_role(user, assessment.period.unit, Role.APPRAISER)


def can_manage_period(user, period) -> bool:
    """Run the period: import survey results, lock/reopen communes, publish."""
    return has_role(user, period.unit, Role.APPRAISER)


def can_read_results(user, period) -> bool:
    """Published results are readable by every signed-in user of the appraising unit's tree.

    A period reopened for correction keeps its published versions readable (docs/design.md §1:
    the old one stays readable) until the corrected version is published.
    """
    if not period.is_published and not period.publications.exists():
        return False
    if can_view_period_overview(user, period):
        return True
    return units_in_scope(user).filter(pk=period.unit_id).exists() or (
        visible_assessments(user).filter(period=period).exists()
    )


def can_view_period_overview(user, period) -> bool:
    """The progress table of every commune: appraisers and leaders of the appraising unit."""
    return has_role(user, period.unit, Role.APPRAISER) or has_role(user, period.unit, Role.LEADER)


# --- self-assessment (issue 4) ------------------------------------------------------------
#
# Who sees a commune's self-assessment:
# - its commune officers and a leader of the commune itself, in every state;
# - appraisers and leaders of the appraising unit once it is submitted. Before that they get
#   a page saying it is not submitted yet (scoring/not_submitted.html), never the draft scores,
#   and evidence downloads answer 403.
# Only the commune's officers change it, and only while self_assessment_closed_reason is "".

SELF_EDITABLE_STATES = (Assessment.Status.DRAFT, Assessment.Status.RETURNED)


def is_leader_of_commune(user, assessment) -> bool:
    """A leader of the commune itself (its chairman), not of a unit above it."""
    return user.is_authenticated and (assessment.commune_id, Role.LEADER) in memberships(user)


def self_assessment_closed_reason(assessment, today=None, *, status=None) -> str:
    """Why the commune may not change its self-assessment now; "" when it may.

    docs/design.md §4: editable while `draft` or `returned` and the period is open; after the
    self-assessment deadline only if the appraising unit reopened it (`reopened_until`).
    Returned criteria stay editable after the deadline: returning them is the appraising unit
    asking for more. `locked` closes everything. `status` asks "what if it were in this state"
    (withdrawing checks the state it would return to).
    """
    status = status or assessment.status
    period = assessment.period
    if assessment.locked:
        return "Hồ sơ đã bị khóa chỉnh sửa."
    if status not in SELF_EDITABLE_STATES:
        return f"Hồ sơ đang ở trạng thái “{Assessment.Status(status).label}”, không sửa được."
    if period.status == Period.Status.DRAFT:
        return "Kỳ đánh giá chưa mở."
    if period.status == Period.Status.PUBLISHED:
        return "Kỳ đánh giá đã công bố kết quả."
    today = today or timezone.localdate()
    if today < period.opens_on:
        return f"Kỳ đánh giá mở từ ngày {rules.format_date(period.opens_on)}."
    if status == Assessment.Status.RETURNED:
        return ""
    if today <= period.self_assessment_due:
        return ""
    if assessment.reopened_until and today <= assessment.reopened_until:
        return ""
    return (
        f"Đã hết hạn tự đánh giá ({rules.format_date(period.self_assessment_due)}). "
        f"Liên hệ {period.wording.office} nếu cần mở lại."
    )


def is_handed_in(assessment) -> bool:
    """Has the commune handed its self-assessment in (anything but a draft)?

    Until then its scores, explanations, evidence and their history are its own unfinished
    work: nobody outside the commune reads them, in any view (issue 10 §6). A withdrawn
    submission is a draft again; a returned one stays handed in (the appraising unit asked).
    """
    return assessment.status != Assessment.Status.DRAFT


def can_view_self_assessment(user, assessment) -> bool:
    """Read the self scores, explanations and evidence (see the rules above).

    The one check for the commune's own work: the assessment page, its history, the minutes,
    the appraisal page and its fragments, evidence downloads all ask it.
    """
    if is_officer_of(user, assessment) or is_leader_of_commune(user, assessment):
        return True
    if not is_handed_in(assessment):
        return False
    return can_appraise(user, assessment) or has_role(user, assessment.period.unit, Role.LEADER)


def awaits_submission(user, assessment) -> bool:
    """The appraising unit looking at a commune that has not handed in yet: its pages answer
    "chưa nộp" (scoring/not_submitted.html) instead of 403, files answer 403."""
    return can_view_appraisal(user, assessment) and not can_view_self_assessment(user, assessment)


def can_edit_self(user, assessment) -> bool:
    """Change self scores and evidence of this assessment (some criteria, when returned)."""
    return is_officer_of(user, assessment) and not self_assessment_closed_reason(assessment)


def score_closed_reason(assessment, score) -> str:
    """Why this criterion may not be changed by the commune now; "" when it may."""
    if score.criterion.method != Method.SELF_ASSESSED:
        return (
            f"Tiêu chí {score.criterion.code} do {assessment.period.wording.office} nhập; "
            f"{assessment.commune.kind_word} không tự chấm."
        )
    reason = self_assessment_closed_reason(assessment)
    if reason:
        return reason
    if assessment.status == Assessment.Status.RETURNED and not score.revision_request.strip():
        return (
            f"Tiêu chí {score.criterion.code} không nằm trong các tiêu chí được trả lại "
            "để bổ sung."
        )
    return ""


def can_edit_score(user, assessment, score) -> bool:
    """Change this criterion: self-assessed, and when returned only if it was asked for."""
    return (
        score is not None
        and is_officer_of(user, assessment)
        and not score_closed_reason(assessment, score)
    )


def can_submit(user, assessment) -> bool:
    """Submit (nộp) a draft, or resubmit a returned assessment."""
    return can_edit_self(user, assessment)


def withdraw_target(assessment) -> str:
    """The state a withdrawn submission returns to: `returned` if criteria were returned."""
    if assessment.scores.exclude(revision_request="").exists():
        return Assessment.Status.RETURNED
    return Assessment.Status.DRAFT


def can_withdraw(user, assessment) -> bool:
    """Withdraw (rút lại) a submission until the appraisal team opens it (under_review).

    Refused when the state it would return to is closed (e.g. a draft after the deadline),
    so a withdrawal never leaves a commune unable to submit again.
    """
    if not is_officer_of(user, assessment) or assessment.status != Assessment.Status.SUBMITTED:
        return False
    return not self_assessment_closed_reason(assessment, status=withdraw_target(assessment))


# --- appraisal (issue 5) ------------------------------------------------------------------
#
# The appraising unit's appraisers work on every assessment of its period; its leaders read
# everything and change nothing. Before publication a commune never sees appraised scores or
# appraisal notes; it sees only the revision requests of the criteria returned to it.


def is_leader_of_period(user, period) -> bool:
    return has_role(user, period.unit, Role.LEADER)


def can_view_appraisal(user, assessment) -> bool:
    """Read the appraisal side (appraised scores, notes, rounds, minutes): the appraising
    unit's appraisers and leaders."""
    return can_appraise(user, assessment) or is_leader_of_period(user, assessment.period)


def can_view_appraisal_notes(user, assessment) -> bool:
    """Appraised scores and appraisal notes: the appraising unit always; the commune (and
    anyone who sees the assessment) once the period is published."""
    return can_view_appraisal(user, assessment) or assessment.period.is_published


def can_view_appraisal_sheet(user, assessment) -> bool:
    """The appraisal side beside the commune's work (appraisal page and its autosave
    fragments, minutes, full audit history): the appraising unit, once handed in."""
    return can_view_appraisal(user, assessment) and can_view_self_assessment(user, assessment)


def can_view_history(user, assessment) -> bool:
    """The full audit history of an assessment (every field, every user)."""
    return can_view_appraisal_sheet(user, assessment)


def can_view_minutes(user, assessment) -> bool:
    """The appraisal minutes (biên bản thẩm định): they print every self score and reason."""
    return can_view_appraisal_sheet(user, assessment)


APPRAISABLE_STATES = (Assessment.Status.SUBMITTED, Assessment.Status.UNDER_REVIEW)


def appraisal_closed_reason(assessment) -> str:
    """Why appraised scores, notes and returns cannot change now; "" when they can."""
    if assessment.period.is_published:
        return "Kỳ đánh giá đã công bố kết quả."
    if assessment.locked:
        return "Hồ sơ đang bị khóa chỉnh sửa."
    if assessment.status not in APPRAISABLE_STATES:
        return f"Hồ sơ đang ở trạng thái “{Assessment.Status(assessment.status).label}”."
    return ""


def can_change_appraisal(user, assessment) -> bool:
    """Set appraised scores and notes, return criteria, mark appraised (docs/design.md §4)."""
    return can_appraise(user, assessment) and not appraisal_closed_reason(assessment)


def not_submitted_closed_reason(assessment, today=None) -> str:
    """Why the appraising unit may not open this commune as "không nộp hồ sơ" now; "" when it
    may (issue 14: finishing a period in the app).

    Only a draft (never handed in), once the self-assessment deadline and any reopening have
    passed, in a period that is running and not published, and not locked.
    """
    period = assessment.period
    if period.is_published:
        return "Kỳ đánh giá đã công bố kết quả."
    if period.status == Period.Status.DRAFT:
        return "Kỳ đánh giá chưa mở."
    if assessment.locked:
        return "Hồ sơ đang bị khóa chỉnh sửa."
    if assessment.status != Assessment.Status.DRAFT:
        return "Xã đã nộp hồ sơ; thẩm định theo hồ sơ đã nộp."
    today = today or timezone.localdate()
    if today <= period.self_assessment_due:
        return (
            f"Chưa hết hạn tự đánh giá ({rules.format_date(period.self_assessment_due)}): "
            "xã vẫn có thể nộp hồ sơ."
        )
    if assessment.reopened_until and today <= assessment.reopened_until:
        return (
            f"Hồ sơ được mở lại cho xã đến {rules.format_date(assessment.reopened_until)}: "
            "xã vẫn có thể nộp hồ sơ."
        )
    return ""


def can_appraise_not_submitted(user, assessment) -> bool:
    """Open a commune that did not submit and appraise it ("không nộp hồ sơ"): the
    appraisers of the period's unit, once not_submitted_closed_reason allows it."""
    return can_appraise(user, assessment) and not not_submitted_closed_reason(assessment)


def can_adjust(user, assessment) -> bool:
    """Add or delete bonus/deduction points (điểm thưởng, điểm trừ): the appraisers of the
    period's unit, in any state until the results are published (a bonus is often decided
    after the scores are appraised; publishing freezes it, as services.publishing
    ensure_editable refuses)."""
    return (
        can_appraise(user, assessment)
        and assessment.status != Assessment.Status.PUBLISHED
        and not assessment.period.is_published
    )


# --- published results and reports (issue 6) ----------------------------------------------
#
# The ranking of a published period: every signed-in user of the appraising unit's tree
# (can_read_results). A commune's report: the same readers, for the communes in their scope
# only, so a commune officer opens their own report and gets 404 for another commune's.
# "Tiêu chí dễ mất điểm" compares communes: the appraising unit's appraisers and leaders.


def visible_results(user, publication) -> QuerySet:
    """Results of a publication the user may open one by one (a commune's report): communes
    in their scope. Ask can_read_results of the publication's period first; together they
    are the whole check for a commune's report."""
    return publication.results.filter(commune__in=units_in_scope(user))


def can_read_all_reports(user, period) -> bool:
    """reports.zip holds every commune's report: for those whose scope holds the appraising
    unit (visible_results is then every result), i.e. a role on it or above it. Ask
    can_read_results first."""
    return has_any_role(user, period.unit, Role.values)


def can_read_lost_points(user, period) -> bool:
    """The criteria where communes lose most points: the appraising unit only."""
    return can_view_period_overview(user, period)


# --- the reply round and publishing (issue 12) ----------------------------------------------
#
# Once the appraising unit announces provisional results to a commune, its officers and its
# own leader see its appraised scores and notes, and its officers reply per criterion until
# the period's reply deadline. Nobody else outside the appraising unit sees them (another
# commune: 404 through visible_assessments). The appraising unit's appraisers announce and
# answer; publishing is the appraising unit's decision: its appraisers and its leaders.

PROVISIONAL_STATES = (Assessment.Status.PROVISIONAL, Assessment.Status.REPLIED)


def is_of_commune(user, assessment) -> bool:
    """An officer of the commune, or its own leader."""
    return is_officer_of(user, assessment) or is_leader_of_commune(user, assessment)


def can_view_provisional(user, assessment) -> bool:
    """The commune's own people see its appraised scores, notes and provisional total once
    announced: during the round and after it, until the appraisal is reopened."""
    return (
        is_of_commune(user, assessment)
        and assessment.reply_round > 0
        and assessment.status in (*PROVISIONAL_STATES, Assessment.Status.APPRAISED)
    )


def reply_closed_reason(assessment, today=None) -> str:
    """Why the commune may not reply (change or send its opinions) now; "" when it may:
    provisional results announced, the reply not sent, the deadline not passed."""
    period = assessment.period
    if period.is_published:
        return "Kỳ đánh giá đã công bố kết quả."
    if assessment.locked:
        return "Hồ sơ đã bị khóa chỉnh sửa."
    if assessment.status == Assessment.Status.REPLIED:
        return "Đơn vị đã gửi ý kiến; tổ thẩm định đang xem xét."
    if assessment.status != Assessment.Status.PROVISIONAL:
        return "Chưa có kết quả thẩm định dự kiến để phản hồi."
    today = today or timezone.localdate()
    if period.reply_due is None or today > period.reply_due:
        due = rules.format_date(period.reply_due)
        return f"Đã hết hạn phản hồi ({due}); đơn vị được coi là đồng ý với kết quả dự kiến."
    return ""


def can_reply(user, assessment) -> bool:
    """Agree or disagree per criterion and send the reply: the commune's officers, in time."""
    return is_officer_of(user, assessment) and not reply_closed_reason(assessment)


def can_announce(user, period) -> bool:
    """Announce provisional results and set the reply deadline: the appraising unit's
    appraisers."""
    return can_manage_period(user, period)


def can_answer_reply(user, assessment) -> bool:
    """Answer the commune's disagreements: the appraising unit's appraisers, while replied."""
    return (
        can_appraise(user, assessment)
        and assessment.status == Assessment.Status.REPLIED
        and not assessment.locked
        and not assessment.period.is_published
    )


def can_publish(user, period) -> bool:
    """Preview and publish (or reopen for correction): the appraising unit's appraisers, and
    its leaders, who sign the decision."""
    return can_manage_period(user, period) or is_leader_of_period(user, period)


def can_add_reply_evidence(user, assessment, score) -> bool:
    """New evidence with a disagreement: the officers, while the reply may change."""
    return score is not None and can_reply(user, assessment)
