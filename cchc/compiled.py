"""Hot queries compiled once per process, run again with other lookup values (issue 10, Speed).

Every autosave reads its assessment by the period's and the commune's codes, with the chain
the permission checks walk. Building that queryset and compiling its joins cost a save more
Python time than PostgreSQL spends running it (bench/assessment_page.py, bench/load.py);
the SQL never changes but for the two codes.

    by_codes = CompiledQuery(
        lambda period, commune: Assessment.objects.select_related("period").filter(
            period__code=period, commune__code=commune
        ),
        "\\x00period", "\\x00commune",   # stand-ins, each passed to the database as it is
    )
    assessment = by_codes.get("2024", "X001")   # None when no row

The queryset is built with the stand-in values and compiled once per database alias; each
call puts its values where the stand-ins were and reads the rows back through the compiler
that built the SQL, the way QuerySet iteration does (its converters, select_related
instances). Only for lookups whose values reach the database unchanged (text and integers:
codes, ids); the stand-ins must each appear exactly once among the compiled parameters.
"""

from __future__ import annotations

import threading

from django.core.exceptions import MultipleObjectsReturned
from django.db import connections
from django.db.models.query import get_related_populators


class CompiledQuery:
    def __init__(self, build, *stand_ins):
        self.build = build
        self.stand_ins = stand_ins
        self._compiled: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple:
        queryset = self.build(*self.stand_ins).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()  # also fills compiler.select and klass_info
        params = list(params)
        positions = []
        for stand_in in self.stand_ins:
            found = [i for i, value in enumerate(params) if value == stand_in]
            if len(found) != 1 or type(params[found[0]]) is not type(stand_in):
                raise ValueError(f"Stand-in {stand_in!r} is not one plain parameter: {params}")
            positions.append(found[0])
        klass_info, select = compiler.klass_info, compiler.select
        if not queryset.query.default_cols:  # values_list(): rows as tuples
            return compiler, sql, params, positions, None, (0, 0), [], []
        if compiler.annotation_col_map:
            raise ValueError("CompiledQuery reads model rows only, without annotations")
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, alias)
        return compiler, sql, params, positions, klass_info["model"], (start, end), init_list, \
            populators

    def compiled(self, alias: str) -> tuple:
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(alias) or self._compile(alias)
                self._compiled[alias] = compiled
        return compiled

    def _rows(self, values, using: str):
        compiled = self.compiled(using)
        compiler, sql, params, positions = compiled[:4]
        params = list(params)
        for position, value in zip(positions, values, strict=True):
            params[position] = value
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return compiled, compiler.results_iter([rows], tuple_expected=True)

    def tuples(self, *values, using: str = "default") -> list[tuple]:
        """The rows of a values_list() queryset built with `values`."""
        compiled, rows = self._rows(values, using)
        if compiled[4] is not None:
            raise ValueError("tuples() is for a values_list() queryset")
        return list(rows)

    def all(self, *values, using: str = "default") -> list:
        """The model instances the queryset built with `values` would give."""
        compiled, rows = self._rows(values, using)
        model, (start, end), init_list, populators = compiled[4:]
        if model is None:
            raise ValueError("all() and get() are for a queryset of models")
        found = []
        for row in rows:
            obj = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            found.append(obj)
        return found

    def get(self, *values, using: str = "default"):
        """The one instance, or None; MultipleObjectsReturned as QuerySet.get raises it."""
        found = self.all(*values, using=using)
        if len(found) > 1:
            raise MultipleObjectsReturned(f"{len(found)} rows for {values!r}")
        return found[0] if found else None
