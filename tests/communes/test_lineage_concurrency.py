"""Two lineage files that close a cycle together, imported at the same moment on PostgreSQL:
the second is checked against the first (import_successions locks the succession table), so
exactly one is saved and the other refused with the cycle named. Without the lock both read the
table before either wrote, and both pass."""

import pytest

from communes.models import Succession, Unit
from communes.successions import SUCCESSION_COLUMNS, import_successions
from tabular import ImportFailed, read_table

from ..scoring.test_concurrency import Attempt, postgres_only, race  # noqa: F401 (fixture)

ROUNDS = 10


def table(tmp_path, name: str, old: str, new: str):
    path = tmp_path / name
    path.write_text(
        f"predecessor_code,successor_code,effective_date\n{old},{new},01/07/2025\n",
        encoding="utf-8",
    )
    return read_table(path, name, required=SUCCESSION_COLUMNS)


@pytest.mark.django_db(transaction=True)
def test_two_files_closing_a_cycle_together_save_one(postgres_only, units, tmp_path):
    district = units["district"]
    Unit.objects.bulk_create(
        Unit(code=f"U{i:02}", name=f"Xã U{i:02}", kind="xa", level="commune", parent=district)
        for i in range(2 * ROUNDS)
    )

    def attempt(side):
        def prepare(number):
            first, second = f"U{2 * number:02}", f"U{2 * number + 1:02}"
            old, new = (first, second) if side == 0 else (second, first)
            return table(tmp_path, f"r{number}-{side}.csv", old, new)

        return Attempt(prepare=prepare, run=lambda number, prepared: import_successions(prepared))

    results = race(ROUNDS, [attempt(0), attempt(1)])
    for number, pair in enumerate(results):
        refused = [r for r in pair if isinstance(r, ImportFailed)]
        saved = [r for r in pair if isinstance(r, dict)]
        assert len(saved) == 1 and len(refused) == 1, (number, pair)
        assert saved[0] == {"created": 1, "updated": 0, "unchanged": 0}
        (error,) = refused[0].errors
        assert error.column == "successor_code" and "Vòng lặp kế thừa" in error.message
    assert Succession.objects.count() == ROUNDS
