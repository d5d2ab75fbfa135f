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

from projections.statistics import CUBOID_MAX, DIMENSIONS, cuboid_name, grain_of
from store.database import Database

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
               k: int = DEFAULT_K, exact_cells: bool = False) -> dict[str, Any]:
    """`exact_cells` forces the all-dimensions table (tests compare the two paths)."""
    conditions: list[tuple[str, str, list]] = [(name, "= %s", [value]) for name, value in sorted(filters.items())]
    if month_from:
        conditions.append(("month_opened", ">= %s", [month_from]))
    if month_to:
        conditions.append(("month_opened", "<= %s", [month_to]))
    if countries is not None:  # an analyst restricted to some encounter countries
        if not countries:
            return _publish(group_by, [], 0, k)
        conditions.append(("encounter_country", f"IN ({', '.join(['%s'] * len(countries))})", sorted(countries)))
    with database.transaction() as cur:
        cells = _sum(cur, group_by, conditions, exact_cells) if group_by else []
        total = _sum(cur, [], conditions, exact_cells)
    return _publish(group_by, cells, total[0][1] if total else 0, k)


def _sum(cur: Any, group_by: list[str], conditions: list, exact_cells: bool) -> list[tuple[list, int]]:
    used = set(group_by) | {name for name, _, _ in conditions}
    if len(used) <= CUBOID_MAX and not exact_cells:
        # The cuboid of exactly these dimensions: v1, v2 hold them in DIMENSIONS order.
        column = {name: f"v{i + 1}" for i, name in enumerate(n for n in DIMENSIONS if n in used)}
        table, where, params = "stats_cuboids", ["cuboid = %s"], [cuboid_name(used)]
    else:
        column = {name: name for name in DIMENSIONS}
        table, where, params = "stats_cells", ["grain = %s"], [grain_of(used)]
    for name, test, values in conditions:
        where.append(f"{column[name]} {test}")
        params += values
    selected = ", ".join(column[name] for name in group_by)
    sql = f"SELECT {selected + ', ' if group_by else ''}SUM(n) FROM {table} WHERE {' AND '.join(where)}"
    if group_by:
        sql += f" GROUP BY {selected} HAVING SUM(n) > 0 ORDER BY {selected}"
    rows = cur.execute(sql, params).fetchall()
    return [(list(row[:-1]), int(row[-1])) for row in rows if row[-1] is not None]


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
