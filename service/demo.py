"""`casetrail demo`: a realistic data set, written through the application layer.

Several hundred invented people met by five organisations over two years, each
case following one of the paths DESIGN.md describes (asylum, child protection,
trafficking, regularization, return), with the detours of real work: referrals
declined, transfers, closures and reopenings, and commands the rules refuse. A
refused command is part of the story (a forced return attempted while a claim is
pending), so DomainError is counted, not fatal. Every step goes through
`service.cases.Cases` with a Caller, exactly as the HTTP API does, so the rules,
the encryption of personal data and the events are the real ones.

Deterministic: the same --seed and --until give the same cases, stories and dates.
Loading twice is refused: the seed is recorded in a `demo_loads` side table.
"""
from __future__ import annotations

import argparse
import random
import sys
from datetime import date, datetime, timedelta, timezone

from domain.vocabulary import CATEGORIES
from service import demo_data as data
from service.cases import Cases
from service.config import Config
from service.demo_stories import STORIES, Story, Tally, _Later

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
        except _Later:
            pass  # still in progress on --until: a realistic open case
        tally.stories[name] += 1
    return tally


def _already_loaded(database, seed: int) -> bool:
    with database.transaction() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS demo_loads (seed INTEGER PRIMARY KEY, loaded_at TEXT NOT NULL)")
        return cur.execute("SELECT 1 FROM demo_loads WHERE seed = %s", (seed,)).fetchone() is not None


def _record_load(database, seed: int) -> None:
    with database.transaction() as cur:
        cur.execute("INSERT INTO demo_loads (seed, loaded_at) VALUES (%s, %s)",
                    (seed, datetime.now(timezone.utc).isoformat()))


def demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=2026, help="same seed, same data set")
    p.add_argument("--cases", type=int, default=400, help="how many cases (default 400)")
    p.add_argument("--until", type=date.fromisoformat, default=None,
                   help="the last day of the two years covered (default: today)")


def demo(args: argparse.Namespace, config: Config) -> int:
    from service.app import create_app

    app = create_app(config)
    database, cases = app.extensions["casetrail.database"], app.extensions["casetrail.cases"]
    try:
        if _already_loaded(database, args.seed):
            print(f"demo data with seed {args.seed} is already loaded; nothing written", file=sys.stderr)
            return 0
        _register_organisations(database)
        print(f"loading {args.cases} demo cases (seed {args.seed}) ...", file=sys.stderr)
        tally = load(cases, args.seed, args.cases, args.until)
        _record_load(database, args.seed)
    finally:
        # The in-process runner stops between batches; `casetrail serve` or
        # `casetrail project` brings the views up to date from where it stopped.
        from projections import embedded

        embedded.stop(app)
        cases.close()
        database.close()
    refused = ", ".join(f"{rule} {n}" for rule, n in tally.refused.most_common())
    print(f"{tally.cases} cases, {tally.events} events; refused by the rules: {refused or 'none'}")
    print("stories: " + ", ".join(f"{name} {n}" for name, n in sorted(tally.stories.items())))
    return 0


def _register_organisations(database) -> None:
    # The embedded issuer's organisations, so `casetrail client add --org unhcr` works
    # at once; with an external provider the table is simply unused.
    try:
        from auth.stores import AuthStore, DuplicateOrganisation
    except ImportError:
        return
    store = AuthStore(database)
    for code, name in data.ORGANISATIONS.items():
        try:
            store.add_organisation(code, name)
        except DuplicateOrganisation:
            pass
