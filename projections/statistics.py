"""Counters for GET /stats/cases, so a query costs the number of counter cells it
reads, never the number of cases.

Design. A case's *dimensions* are ten single-valued ones (stage, status, nationality,
sex, age group, encounter country and type, owner org, month opened, asylum status)
and three multi-valued ones (category, referral service, return kind). The table
`stats_cells` holds one counter per combination of all dimension values (a cell),
at each of eight *grains*: a grain is the subset of multi-valued dimensions it
breaks down by (bit 1 category, 2 referral service, 4 return kind); a dimension
outside the grain holds '*'. A case adds 1 to one cell per grain and per
combination of its values of the grain's multi-valued dimensions, so a case is
counted once per category (per service, per return kind) it has, and a case with
none counts under 'none'. A query picks the grain of the multi-valued dimensions it
groups or filters by and sums cells there: the cells read are bounded by the
combinations of values that occur, which stops growing once they are all seen.

Maintenance is incremental: each case's current dimension values are kept in
`stats_case_dims` (no personal data: only the codes counted); an event that
changes them takes 1 from each old cell and adds 1 to each new one. Deltas are
summed over a batch and written at its end, in the batch's transaction; cells
that reach 0 are deleted, so a rebuild gives the same rows.

Most queries name one or two dimensions (group_by, filters, month range and an
analyst's countries together). Summing `stats_cells` for them would read rows in
proportion to the cases (ten single-valued dimensions make nearly every case its
own cell until the combinations saturate: docs/benchmarks.md), so `stats_cuboids`
also keeps one counter per value (pair) of every set of at most two dimensions
(1 + 13 + 78 sets): such a query reads at most the product of two dimensions'
values, however many cases there are. Queries naming three or more read the cells.

Referral service counts every referral made (whatever became of it); return kind
every return initiated. Month opened is the month of `effective_at` when the
opening reported a past fact, else of the recording.
"""
from __future__ import annotations

import json
from collections import Counter
from itertools import combinations, product
from typing import Any

from projections.runner import Projection, handles

SINGLE = ("stage", "status", "nationality", "sex", "age_group", "encounter_country", "encounter_type",
          "owner_org", "month_opened", "asylum_status")
MULTI = ("category", "referral_service", "return_kind")
DIMENSIONS = SINGLE + MULTI
ANY = "*"
NONE = "none"


CUBOID_MAX = 2
CUBOIDS = [combo for size in range(CUBOID_MAX + 1) for combo in combinations(DIMENSIONS, size)]


def cuboid_name(dimensions: set[str] | list[str]) -> str:
    """The cuboid of these dimensions, in DIMENSIONS order ('' for the total)."""
    return ",".join(name for name in DIMENSIONS if name in dimensions)


def cuboid_cells(dims: dict) -> Counter:
    """The cuboid counters one case adds 1 to (once per value of a multi-valued one)."""
    out: Counter = Counter()
    for combo in CUBOIDS:
        values = [(sorted(dims.get(name) or []) or [NONE]) if name in MULTI else [str(dims.get(name) or "unknown")]
                  for name in combo]
        for combination in product(*values):
            out[(",".join(combo), *(*combination, "", "")[:CUBOID_MAX])] += 1
    return out


def grain_of(dimensions: set[str] | list[str]) -> int:
    return sum(1 << i for i, name in enumerate(MULTI) if name in dimensions)


def cells(dims: dict) -> Counter:
    """The cells one case adds 1 to, at every grain."""
    base = tuple(str(dims.get(name) or "unknown") for name in SINGLE)
    values = [sorted(dims.get(name) or []) or [NONE] for name in MULTI]
    out: Counter = Counter()
    for grain in range(1 << len(MULTI)):
        choices = [values[i] if grain & (1 << i) else [ANY] for i in range(len(MULTI))]
        for combination in product(*choices):
            out[(grain, *base, *combination)] += 1
    return out


class Statistics(Projection):
    name = "statistics"
    tables = ("stats_cells", "stats_cuboids", "stats_case_dims")
    ddl = (
        "CREATE TABLE IF NOT EXISTS stats_cells (grain INTEGER NOT NULL, "
        + "".join(f"{name} TEXT NOT NULL, " for name in DIMENSIONS)
        + "n INTEGER NOT NULL, PRIMARY KEY (grain, " + ", ".join(DIMENSIONS) + "))",
        "CREATE TABLE IF NOT EXISTS stats_cuboids (cuboid TEXT NOT NULL, v1 TEXT NOT NULL, v2 TEXT NOT NULL,"
        " n INTEGER NOT NULL, PRIMARY KEY (cuboid, v1, v2))",
        "CREATE TABLE IF NOT EXISTS stats_case_dims (case_id TEXT PRIMARY KEY, dims TEXT NOT NULL)",
    )

    def begin(self, cur: Any) -> None:
        self._dims: dict[str, dict] = {}       # case id -> dims, for cases touched in this batch
        self._before: dict[str, dict | None] = {}  # their dims at the start of the batch
        self._delta: Counter = Counter()

    def flush(self, cur: Any) -> None:
        cells_delta, cuboids_delta = Counter(), Counter()
        for case_id, dims in self._dims.items():
            before = self._before[case_id]
            if before is not None:
                cells_delta.subtract(cells(before))
                cuboids_delta.subtract(cuboid_cells(before))
            cells_delta.update(cells(dims))
            cuboids_delta.update(cuboid_cells(dims))
        cur.executemany("INSERT INTO stats_case_dims (case_id, dims) VALUES (%s, %s) ON CONFLICT (case_id)"
                     " DO UPDATE SET dims = excluded.dims",
                     [(case_id, json.dumps(dims, sort_keys=True)) for case_id, dims in self._dims.items()])
        _apply(cur, "stats_cells", ("grain",) + DIMENSIONS, cells_delta)
        _apply(cur, "stats_cuboids", ("cuboid", "v1", "v2"), cuboids_delta)

    # ---- handlers ------------------------------------------------------------
    @handles("CaseOpened")
    def _opened(self, cur: Any, e: Any) -> None:
        person, encounter = e.person or {}, e.encounter or {}
        opened = (e.effective_at or "")[:7] or e.timestamp.strftime("%Y-%m")
        self._before[str(e.originator_id)] = None
        self._dims[str(e.originator_id)] = {
            "stage": "identification", "status": "open", "nationality": person.get("nationality"),
            "sex": person.get("sex"), "age_group": e.age_group,
            "encounter_country": encounter.get("country"), "encounter_type": encounter.get("type"),
            "owner_org": e.actor["org"], "month_opened": opened,
            "asylum_status": "intention_expressed" if e.asylum_intention else "none",
            "category": sorted(set(e.categories)), "referral_service": [], "return_kind": [],
            "_stage_before_closure": None, "_transfer_to": None,
        }

    @handles("CategoriesAdded")
    def _categories_added(self, cur: Any, e: Any) -> None:
        dims = self._load(cur, e)
        dims["category"] = sorted(set(dims["category"]) | set(e.categories))

    @handles("TraffickingVictimIdentified")
    def _trafficking_identified(self, cur: Any, e: Any) -> None:
        dims = self._load(cur, e)
        dims["category"] = sorted(set(dims["category"]) | {"presumed_trafficking_victim"})

    @handles("CategoriesRemoved")
    def _categories_removed(self, cur: Any, e: Any) -> None:
        dims = self._load(cur, e)
        dims["category"] = sorted(set(dims["category"]) - set(e.categories))

    @handles("AsylumEventRecorded")
    def _asylum(self, cur: Any, e: Any) -> None:
        self._load(cur, e)["asylum_status"] = e.asylum_event

    @handles("ReferralMade")
    def _referred(self, cur: Any, e: Any) -> None:
        dims = self._load(cur, e)
        dims["referral_service"] = sorted(set(dims["referral_service"]) | {e.service})
        dims["stage"] = "referral"

    @handles("RegularizationApplied")
    def _regularization(self, cur: Any, e: Any) -> None:
        self._load(cur, e)["stage"] = "regularization"

    @handles("ReturnInitiated")
    def _return(self, cur: Any, e: Any) -> None:
        dims = self._load(cur, e)
        dims["return_kind"] = sorted(set(dims["return_kind"]) | {e.kind})
        dims["stage"] = "return"

    @handles("TransferRequested")
    def _transfer_requested(self, cur: Any, e: Any) -> None:
        self._load(cur, e)["_transfer_to"] = e.to_org

    @handles("TransferAccepted")
    def _transfer_accepted(self, cur: Any, e: Any) -> None:
        dims = self._load(cur, e)
        dims["owner_org"], dims["_transfer_to"] = dims["_transfer_to"], None

    @handles("TransferRejected")
    def _transfer_rejected(self, cur: Any, e: Any) -> None:
        self._load(cur, e)["_transfer_to"] = None

    @handles("CaseClosed")
    def _closed(self, cur: Any, e: Any) -> None:
        dims = self._load(cur, e)
        dims.update(_stage_before_closure=dims["stage"], stage="closed", status="closed")

    @handles("CaseReopened")
    def _reopened(self, cur: Any, e: Any) -> None:
        dims = self._load(cur, e)
        dims.update(stage=dims["_stage_before_closure"] or "identification", status="open")

    @handles("CaseErased")
    def _erased(self, cur: Any, e: Any) -> None:
        # Erased cases are still counted (DESIGN.md), with the dimensions recorded
        # in clear, the age group included.
        dims = self._load(cur, e)
        dims.update(status="erased")

    def _load(self, cur: Any, e: Any) -> dict:
        case_id = str(e.originator_id)
        if case_id not in self._dims:
            (row,) = cur.select("SELECT dims FROM stats_case_dims WHERE case_id = %s", (case_id,))
            self._before[case_id] = json.loads(row[0])
            self._dims[case_id] = json.loads(row[0])
        return self._dims[case_id]


def _apply(cur: Any, table: str, key: tuple[str, ...], delta: Counter) -> None:
    """Add the deltas to the counters; drop counters that reach 0 (a rebuild has none)."""
    changes = sorted((cell, d) for cell, d in delta.items() if d)
    columns = ", ".join(key)
    cur.executemany(f"INSERT INTO {table} ({columns}, n) VALUES ({', '.join(['%s'] * (len(key) + 1))})"
                    f" ON CONFLICT ({columns}) DO UPDATE SET n = {table}.n + excluded.n",
                    [(*cell, d) for cell, d in changes])
    match = " AND ".join(f"{c} = %s" for c in key)
    cur.executemany(f"DELETE FROM {table} WHERE {match} AND n = 0", [cell for cell, d in changes if d < 0])

