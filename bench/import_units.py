"""Benchmark: `import_units` with 10,000 units on the database of DATABASE_URL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc .venv/bin/python bench/import_units.py

Works in a throw-away database (in memory for SQLite, bench_import_units_<name> for
PostgreSQL), destroyed afterwards. Prints the seconds for creating the units, then for
renaming all of them.
"""

import csv
import os
import tempfile
import time
from pathlib import Path

from _setup import throwaway_database

from django.core.management import call_command
from django.db import connection

UNITS = 10_000
DISTRICTS = 99


def write_units(path: Path, suffix: str = "") -> None:
    """One province, 99 districts and 9,900 communes: 10,000 rows."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "kind", "parent_code"])
        writer.writerow(["T", f"Tỉnh Thử{suffix}", "tinh", ""])
        writer.writerows([f"H{d}", f"Huyện {d}{suffix}", "huyen", "T"] for d in range(DISTRICTS))
        writer.writerows(
            [f"X{i}", f"Xã {i}{suffix}", "xa", f"H{i % DISTRICTS}"]
            for i in range(UNITS - DISTRICTS - 1)
        )


def timed_import(path: Path) -> float:
    started = time.perf_counter()
    call_command("import_units", str(path), stdout=open(os.devnull, "w"))
    return time.perf_counter() - started


def main() -> None:
    with throwaway_database("import_units"), tempfile.TemporaryDirectory() as folder:
        first, second = Path(folder) / "units.csv", Path(folder) / "renamed.csv"
        write_units(first)
        write_units(second, suffix=" (mới)")
        created = timed_import(first)
        renamed = timed_import(second)
        print(
            f"import_units on {connection.vendor}: {UNITS} units created in {created:.2f} s, "
            f"all {UNITS} renamed in {renamed:.2f} s"
        )


if __name__ == "__main__":
    main()
