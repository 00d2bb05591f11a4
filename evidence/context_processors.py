"""The evidence upload limits (size, accepted file types) for every page that shows an upload
form: the self-assessment page renders those forms, and the scoring app does not import this
one (evidence builds on scoring)."""

from .services import upload_limits as limits


def upload_limits(request) -> dict:
    """max_bytes, max_mb and accept (evidence.services.upload_limits) in every template."""
    return limits()
