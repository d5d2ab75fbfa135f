"""GET /stats/cases answered from the counters (projections/statistics.py).

Disclosure control. A cell with a count below k (default 5) is published as
`count: null, suppressed: true` (primary suppression). No figure of a response may
let a reader recover a suppressed cell by subtraction, and the only linear relation
between the figures of one response is "the cells of a single-valued breakdown sum
to the total". So the margin is suppressed with them (secondary suppression of the
total): whenever any cell is suppressed, the total is withheld too; no row or column
margins are published at all. Every published figure is then either a cell (>= k)
that no other published figure determines, or a total published only when nothing
is suppressed. (Multi-valued dimensions count a case once per value, so their cells
do not even sum to the total.)

Known limit, as for any table server without an audit of past queries: a reader
who sends two different queries (e.g. with and without a filter) can difference
their answers. The k threshold bounds what that yields; DESIGN.md asks for the
single-response guarantee, which this gives.
"""
from __future__ import annotations

from typing import Any

from projections.statistics import DIMENSIONS, grain_of
from service.database import Database

DEFAULT_K = 5


class UnknownDimension(ValueError):
    pass


def parse_group_by(raw: str | None) -> list[str]:
    names = [n for n in (raw or "").split(",") if n]
    unknown = [n for n in names if n not in DIMENSIONS]
    if unknown:
        raise UnknownDimension(f"unknown dimensions {unknown}; use {', '.join(DIMENSIONS)}")
    if len(set(names)) != len(names):
        raise UnknownDimension("a dimension appears twice in group_by")
    return names


def case_stats(database: Database, group_by: list[str], filters: dict[str, str], month_from: str | None = None,
               month_to: str | None = None, countries: frozenset[str] | None = None,
               k: int = DEFAULT_K) -> dict[str, Any]:
    where, params = [], []
    for name, value in sorted(filters.items()):
        where.append(f"{name} = %s")
        params.append(value)
    if month_from:
        where.append("month_opened >= %s")
        params.append(month_from)
    if month_to:
        where.append("month_opened <= %s")
        params.append(month_to)
    if countries is not None:  # an analyst restricted to some encounter countries
        if not countries:
            return _publish(group_by, [], 0, k)
        where.append(f"encounter_country IN ({', '.join(['%s'] * len(countries))})")
        params += sorted(countries)
    condition = "".join(f" AND {w}" for w in where)
    columns = ", ".join(group_by)
    with database.transaction() as cur:
        if group_by:
            cells = cur.execute(
                f"SELECT {columns}, SUM(n) FROM stats_cells WHERE grain = %s{condition}"
                f" GROUP BY {columns} HAVING SUM(n) > 0 ORDER BY {columns}",
                [grain_of(set(group_by) | set(filters)), *params]).fetchall()
        else:
            cells = []
        (total,) = cur.execute(f"SELECT SUM(n) FROM stats_cells WHERE grain = %s{condition}",
                               [grain_of(set(filters)), *params]).fetchone()
    return _publish(group_by, [(list(row[:-1]), int(row[-1])) for row in cells], int(total or 0), k)


def _publish(group_by: list[str], cells: list[tuple[list, int]], total: int, k: int) -> dict[str, Any]:
    if not group_by:
        cells = [([], total)] if total else []
    rows, any_suppressed = [], False
    for values, count in cells:
        row: dict[str, Any] = dict(zip(group_by, values))
        if count < k:
            row.update(count=None, suppressed=True)
            any_suppressed = True
        else:
            row["count"] = count
        rows.append(row)
    withhold_total = any_suppressed or 0 < total < k
    return {"k": k, "total": None if withhold_total else total, "total_suppressed": withhold_total,
            "rows": rows}
