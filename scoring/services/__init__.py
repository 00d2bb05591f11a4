"""Writes: one function per transition, the acting user passed by keyword, audited inside it.

setup.py        criteria sets and periods (the foundation)
"""

from ..models import Assessment


class WorkflowError(Exception):
    """A workflow step was refused; the message is Vietnamese and says why."""


def locked_assessment(assessment: Assessment) -> Assessment:
    """The assessment re-read and locked until the transaction ends, with what the workflow
    checks read: its period (criteria set, unit) and its commune up to the province.

    The assessment's row and its period's are locked (FOR NO KEY UPDATE), so a concurrent
    publish or reopening for correction (FOR UPDATE of the period) waits, as does any other
    workflow step on the assessment; rows that merely point at the period (audit events of
    other communes' saves) are not held up. The units are read, not locked (PostgreSQL cannot
    lock the optional side of an outer join).
    """
    return (
        Assessment.objects.select_for_update(no_key=True, of=("self", "period"))
        .select_related("period__criteria_set", "period__unit", "commune__parent__parent")
        .get(pk=assessment.pk)
    )
