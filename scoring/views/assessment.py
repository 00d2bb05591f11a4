from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from ..permissions import visible_assessments


@login_required
def detail(request, period, commune):
    """The assessment: self-assessment for the commune, appraisal for the appraisers."""
    assessment = get_object_or_404(
        visible_assessments(request.user), period__code=period, commune__code=commune
    )
    return render(request, "scoring/assessment.html", {"assessment": assessment})
