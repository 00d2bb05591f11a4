"""Writes: one function per transition, the acting user passed by keyword, audited inside it.

setup.py      criteria sets and periods (the foundation)
"""
