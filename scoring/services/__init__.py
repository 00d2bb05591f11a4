"""Writes: one function per transition, the acting user passed by keyword, audited inside it.

setup.py        criteria sets and periods (the foundation)
"""


class WorkflowError(Exception):
    """A workflow step was refused; the message is Vietnamese and says why."""
