"""Fast data for the benchmarks, written through the application layer (the
mapper encrypts and seals every event exactly as the API's commands do): cases
are built in memory with the domain's commands and saved many at a time, one
transaction per batch. Statistics counters for very large sizes are written
straight into the counters view (`stats_counters`), computed with the view's own
cell function."""
from __future__ import annotations

import random
import time
from collections import Counter
from datetime import date, timedelta
from typing import Any

from domain.actor import Actor
from domain.case import Case
from projections import statistics as stats
from store.database import libpq_url, postgres_schema

ORGS = ("sms", "unhcr", "iom", "childhope", "safeway")
NATIONALITIES = ("AFG", "TJK", "UZB", "KGZ", "TKM", "IRN", "PAK", "CHN", "RUS", "SYR", "SOM", "IRQ", "STATELESS",
                 "UNKNOWN")
COUNTRIES = ("KAZ", "KGZ", "TJK", "UZB", "TKM")
CATEGORIES = ("asylum_seeker", "stranded_migrant", "economic_migrant", "unaccompanied_child", "medical_needs",
              "presumed_trafficking_victim", "undocumented_migrant", "stateless", "gbv_survivor")
SERVICES = ("legal_aid", "medical", "shelter", "psychosocial", "asylum_procedure")
TODAY = date(2026, 11, 20)


def person(rng: random.Random) -> dict:
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 60))
    return {"given_name": rng.choice(["Aziz", "Mariam", "Rustam", "Dilnoza", "Omar"]),
            "family_name": rng.choice(["Karimi", "Saidov", "Tursunov", "Haddad"]),
            "sex": rng.choice(["male", "female"]), "date_of_birth": born.isoformat(),
            "nationality": rng.choice(NATIONALITIES), "languages": ["rus"],
            "documents": [{"type": "passport", "number": f"P{rng.randrange(10**7):07d}",
                           "issuing_country": "AFG"}]}


def encounter(rng: random.Random) -> dict:
    met = TODAY - timedelta(days=rng.randrange(0, 700))
    return {"date": met.isoformat(), "country": rng.choice(COUNTRIES), "place": "Zhibek Zholy",
            "type": rng.choice(["border", "inland", "detention", "outreach"])}


def new_case(rng: random.Random, org: str = "sms") -> Case:
    actor = Actor(f"officer-{rng.randrange(20)}", org, "bench")
    return Case.open(actor, person(rng), encounter(rng), [rng.choice(CATEGORIES)],
                     asylum_intention=rng.random() < 0.4, notes="Met at the crossing.", today=TODAY)


def grow(case: Case, events: int, rng: random.Random) -> None:
    """Add commands until the case holds `events` events: a realistic mix first
    (assessment, asylum, consent, referral, assignment), then notes."""
    actor = Actor(f"officer-{rng.randrange(20)}", case.owner_org, "bench")
    steps = [
        lambda: case.add_categories(actor, [rng.choice(CATEGORIES)], today=TODAY),
        lambda: case.record_asylum(actor, "intention_expressed"),
        lambda: case.give_consent(actor, "data_sharing", "unhcr"),
        lambda: case.refer(actor, "unhcr", rng.choice(SERVICES)),
        lambda: case.assign(actor, f"officer-{rng.randrange(20)}"),
    ]
    for step in steps:
        if case.version + len(case.pending_events) >= events:
            return
        try:
            step()
        except Exception:  # noqa: BLE001 - a rule refused it: fine, notes follow
            pass
    n = 0
    while len(case.pending_events) + (case.version - len(case.pending_events)) < events:
        n += 1
        case.add_note(actor, f"Follow-up {n}: spoke with the person about their options.")


def seed_events(app: Any, total_events: int, events_per_case: int = 20, batch_cases: int = 50,
                seed: int = 1) -> dict:
    """About `total_events` events in cases of `events_per_case` events; returns timings."""
    rng = random.Random(seed)
    written, cases, started = 0, 0, time.perf_counter()
    while written < total_events:
        batch = []
        for _ in range(batch_cases):
            case = new_case(rng, rng.choice(ORGS))
            grow(case, min(events_per_case, total_events - written) or 1, rng)
            written += len(case.pending_events)
            batch.append(case)
            if written >= total_events:
                break
        app.save(*batch)
        cases += len(batch)
    return {"events": written, "cases": cases, "seconds": time.perf_counter() - started}


def case_with_events(app: Any, events: int, seed: int = 7, chunk: int = 200) -> Any:
    """One case of exactly `events` events, saved `chunk` events at a time."""
    rng = random.Random(seed)
    case = new_case(rng)
    app.save(case)
    while case.version < events:
        grow(case, min(events, case.version + chunk), rng)
        app.save(case)
    return case.id


# ---- statistics counters for many cases ---------------------------------------
def synthetic_dims(rng: random.Random) -> dict:
    stage = rng.choices(["identification", "referral", "regularization", "return", "closed"], [5, 3, 1, 1, 2])[0]
    return {"stage": stage, "status": "closed" if stage == "closed" else rng.choices(["open", "erased"], [50, 1])[0],
            "nationality": rng.choice(NATIONALITIES), "sex": rng.choice(["male", "female", "unknown"]),
            "age_group": rng.choice(["0-4", "5-11", "12-17", "18-59", "60+"]),
            "encounter_country": rng.choice(COUNTRIES),
            "encounter_type": rng.choice(["border", "inland", "detention", "outreach"]),
            "owner_org": rng.choice(ORGS), "month_opened": f"{rng.choice([2025, 2026])}-{rng.randrange(1, 13):02d}",
            "asylum_status": rng.choice(["none", "intention_expressed", "lodged", "recognized", "rejected"]),
            "category": sorted(set(rng.sample(CATEGORIES, rng.choice([1, 1, 2, 3])))),
            "referral_service": sorted(set(rng.sample(SERVICES, rng.choice([0, 0, 1, 2])))),
            "return_kind": rng.choice([[], [], [], ["voluntary"], ["forced"]])}


def seed_statistics(database: Any, cases: int, seed: int = 3) -> dict:
    """Counters for `cases` synthetic cases, written with COPY in one transaction."""

    rng = random.Random(seed)
    started = time.perf_counter()
    total: Counter = Counter()
    cuboids: Counter = Counter()
    cuboid_cells = getattr(stats, "cuboid_cells", None)  # the per-(pair of) dimension counters, if any
    rows_dims = []
    for i in range(cases):
        dims = synthetic_dims(rng)
        total.update(stats.cells(dims))
        if cuboid_cells is not None:
            cuboids.update(cuboid_cells(dims))
        rows_dims.append((f"00000000-0000-4000-8000-{i:012d}", dims))
    import json

    import psycopg

    with psycopg.connect(libpq_url(database.url)) as conn:
        schema = postgres_schema(database.url)
        if schema:
            conn.execute(f"SET search_path = {schema}")
        conn.execute("DELETE FROM stats_cells")
        conn.execute("DELETE FROM stats_case_dims")
        columns = ", ".join(("grain",) + stats.DIMENSIONS + ("n",))
        with conn.cursor().copy(f"COPY stats_cells ({columns}) FROM STDIN") as copy:
            for cell, n in total.items():
                copy.write_row((*cell, n))
        if cuboid_cells is not None:
            conn.execute("DELETE FROM stats_cuboids")
            with conn.cursor().copy("COPY stats_cuboids (cuboid, v1, v2, n) FROM STDIN") as copy:
                for cell, n in cuboids.items():
                    copy.write_row((*cell, n))
            conn.execute("ANALYZE stats_cuboids")
        with conn.cursor().copy("COPY stats_case_dims (case_id, dims) FROM STDIN") as copy:
            for case_id, dims in rows_dims:
                copy.write_row((case_id, json.dumps(dims, sort_keys=True)))
        conn.execute("ANALYZE stats_cells")
    return {"cases": cases, "cells": len(total), "seconds": time.perf_counter() - started}
