"""The start every benchmark shares: Django set up on DATABASE_URL, and a throw-away database.

Each script imports it before any project module (`from _setup import throwaway_database`;
Python puts the script's folder, bench/, on sys.path), so every script stays runnable as
`DATABASE_URL=… .venv/bin/python bench/X.py`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cchc.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402


@contextlib.contextmanager
def throwaway_database(name: str, *, test_environment: bool = True):
    """A fresh, migrated database for the benchmark `name`, destroyed on the way out: in memory
    on SQLite, bench_<name>_<database> on PostgreSQL (never the real one).

    With `test_environment`, Django's test set-up too (mail kept in memory, "testserver"
    allowed, every rendered template recorded for the test client); without it, pages are
    rendered as in production.
    """
    if test_environment:
        setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = (
        f"bench_{name}_{old_name}" if connection.vendor == "postgresql" else None
    )
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if test_environment:
            teardown_test_environment()
