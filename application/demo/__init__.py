"""The demo data set (`casetrail demo`), written through the application layer.

Several hundred invented people met by five organisations over two years, each
case following one of the paths DESIGN.md describes (asylum, child protection,
trafficking, regularization, return), with the detours of real work: referrals
declined, transfers, closures and reopenings, and commands the rules refuse. A
refused command is part of the story (a forced return attempted while a claim is
pending), so DomainError is counted, not fatal. Every step goes through
`application.cases.Cases` with a Caller, exactly as the HTTP API does, so the rules,
the encryption of personal data and the events are the real ones.

Deterministic: the same --seed and --until give the same cases, stories and dates.
Loading twice is refused: the seed is recorded in a `demo_loads` side table.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

from application.cases import Cases
from application.demo import data
from application.demo.stories import STORIES, Later, Story, Tally
from auth.stores import AuthStore, DuplicateOrganisation
from domain.vocabulary import CATEGORIES
from store.database import Database

DAYS = 730


def load(cases: Cases, seed: int = 2026, count: int = 400, until: date | None = None) -> Tally:
    until = until or datetime.now(timezone.utc).date()
    rng = random.Random(seed)
    tally = Tally()
    names = list(STORIES)
    weights = [STORIES[n][0] for n in names]
    for index in range(count):
        start = until - timedelta(days=rng.randint(0, DAYS))
        story = Story(cases, rng, until, tally, start)
        name = rng.choices(names, weights=weights)[0]
        # Every category appears at least once: the first cases take them in turn.
        extra = sorted(CATEGORIES)[index] if index < len(CATEGORIES) else None
        try:
            STORIES[name][1](story, rng, extra)
        except Later:
            pass  # still in progress on --until: a realistic open case
        tally.stories[name] += 1
    return tally


def load_once(database: Database, cases: Cases, seed: int = 2026, count: int = 400,
              until: date | None = None) -> Tally | None:
    """Load the data set of `seed` unless it was loaded before (then None): its
    organisations, then its cases; the seed is recorded last."""
    if already_loaded(database, seed):
        return None
    _register_organisations(database)
    tally = load(cases, seed, count, until)
    with database.transaction() as cur:
        cur.execute("INSERT INTO demo_loads (seed, loaded_at) VALUES (%s, %s)",
                    (seed, datetime.now(timezone.utc).isoformat()))
    return tally


def already_loaded(database: Database, seed: int) -> bool:
    with database.transaction() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS demo_loads (seed INTEGER PRIMARY KEY, loaded_at TEXT NOT NULL)")
        return cur.execute("SELECT 1 FROM demo_loads WHERE seed = %s", (seed,)).fetchone() is not None


def _register_organisations(database: Database) -> None:
    # The embedded issuer's organisations, so `casetrail client add --org unhcr` works
    # at once; with an external provider the table is simply unused.
    store = AuthStore(database)
    for code, name in data.ORGANISATIONS.items():
        try:
            store.add_organisation(code, name)
        except DuplicateOrganisation:
            pass
