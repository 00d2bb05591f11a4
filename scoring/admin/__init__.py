"""Admin for criteria sets and trees, periods, assessments, scores, TTHC figures, the audit log,
results and the reply round (read-only).

What a published period froze stays frozen here too (issue 6): its criteria set and criteria,
the period itself, its assessments' scores and its TTHC figures are view-only, with the reason
on the page. Publications, results and the audit log are never changed by anyone. Score edits
made here are audited like any other (a reason is required) and bump the optimistic-lock version.
"""

from . import (  # noqa: F401  (each registers its pages)
    assessments,
    criteria,
    periods,
    procedures,
    replies,
    results,
)
