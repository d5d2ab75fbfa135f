"""Projection catch-up speed and statistics query time at two sizes.

    python bench/projection_catchup.py --database-url postgresql://postgres@127.0.0.1/casetrail_test \
        --sizes 1000,200000

For each size: a fresh schema (PostgreSQL) or file (SQLite); N cases of ~4 events
each written in batches (domain aggregates saved 100 at a time, through the real
mapper: encryption per case and the hash chain); then one `project --once`
catch-up of the three views from position 0, timed; then the median of repeated
GET /stats/cases-shaped queries and a first list page. A script, not a test: its
output is recorded in docs/benchmarks.md, "Projections".
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from application.cases import Cases  # noqa: E402
from auth.principal import Principal  # noqa: E402
from domain.case import Case  # noqa: E402
from projections.list_query import list_cases  # noqa: E402
from projections.service import ProjectionService  # noqa: E402
from projections.stats_query import case_stats  # noqa: E402
from store import case_keys_for  # noqa: E402
from store.database import Database, persistence_env  # noqa: E402
from tests.support.projection_workload import ORGS, caller, opening  # noqa: E402

QUERIES = [[], ["sex"], ["category"], ["nationality", "age_group"], ["encounter_country", "month_opened"],
           ["category", "referral_service", "sex"]]


def make_url(base: str, tmp: Path, size: int) -> str:
    if base.startswith("sqlite"):
        return f"sqlite:///{tmp / f'bench-{size}.sqlite'}"
    import psycopg

    schema = f"bench_{size}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return f"{base}{'&' if '?' in base else '?'}schema={schema}"


def drop(url: str) -> None:
    if "schema=" in url:
        import psycopg

        base, schema = url.split("?schema=")
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def write_cases(cases: Cases, size: int, rng: random.Random) -> int:
    batch = []
    for i in range(size):
        org = rng.choice(ORGS)
        actor = caller(org).actor
        case = Case.open(actor, **opening(rng))
        if rng.random() < 0.6:
            case.refer(actor, rng.choice([o for o in ORGS if o != org]), rng.choice(["legal_aid", "medical"]))
        if rng.random() < 0.5:
            case.assign(actor, f"{org}-w{rng.randrange(5)}")
        if rng.random() < 0.3:
            case.close(actor, "done")
        batch.append(case)
        if len(batch) == 100 or i == size - 1:
            cases.save(*batch)
            batch = []
    return cases.recorder.max_notification_id() or 0


def median_ms(fn, repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench(base_url: str, size: int, tmp: Path) -> dict:
    url = make_url(base_url, tmp, size)
    database = Database(url)
    cases = Cases(env=persistence_env(url), case_keys=case_keys_for(url, None, None, tmp / "var", database))
    try:
        start = time.perf_counter()
        events = write_cases(cases, size, random.Random(size))
        write_s = time.perf_counter() - start
        service = ProjectionService(database, cases)
        start = time.perf_counter()
        service.run_once()
        catchup_s = time.perf_counter() - start
        with database.transaction() as cur:
            cells = cur.execute("SELECT COUNT(*) FROM stats_cells").fetchone()[0]
        stats_ms = {",".join(g) or "(total)": median_ms(lambda g=g: case_stats(database, g, {}))
                    for g in QUERIES}
        worker = Principal("w", "unhcr", frozenset({"caseworker"}))
        list_ms = median_ms(lambda: list_cases(database, worker, {"stage": "referral"}, 50))
        return {"size": size, "events": events, "write_s": write_s, "catchup_s": catchup_s,
                "events_per_s": events / catchup_s, "cells": cells, "stats_ms": stats_ms, "list_ms": list_ms}
    finally:
        cases.close()
        database.close()
        drop(url)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="sqlite")
    parser.add_argument("--sizes", default="1000,200000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = [bench(args.database_url, int(s), Path(tmp)) for s in args.sizes.split(",")]
    kind = "SQLite" if args.database_url.startswith("sqlite") else "PostgreSQL"
    print(f"\n{kind}, 3 views, batches of 500 events, one `project --once` from position 0\n")
    print("| cases | events | write (s) | catch-up (s) | events/s (3 views) | counter cells |"
          " list page (ms) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['size']:,} | {r['events']:,} | {r['write_s']:.1f} | {r['catchup_s']:.1f} |"
              f" {r['events_per_s']:,.0f} | {r['cells']:,} | {r['list_ms']:.2f} |")
    print("\nGET /stats/cases query time (median ms), by group_by:\n")
    print("| group_by | " + " | ".join(f"{r['size']:,} cases" for r in results) + " |")
    print("| --- |" + " ---: |" * len(results))
    for name in results[0]["stats_ms"]:
        print(f"| {name} | " + " | ".join(f"{r['stats_ms'][name]:.2f}" for r in results) + " |")


if __name__ == "__main__":
    main()
