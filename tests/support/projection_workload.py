"""A random but valid-looking workload of case commands, for the projection tests:
cases opened by several orgs, then assessed, referred, transferred, returned,
closed, reopened and erased in random order. Commands the domain refuses are
simply skipped: the point is a varied event stream, not a story."""
from __future__ import annotations

import random
from datetime import date, timedelta
from uuid import UUID

from application.cases import Caller, Cases, TooMuchContention
from domain.actor import Actor
from domain.errors import DomainError
from domain.vocabulary import CATEGORIES, REFERRAL_SERVICES
from projections import all_projections
from store.database import Database

ORGS = ("unhcr", "iom", "ngo-a", "border")
COUNTRIES = ("KAZ", "KGZ", "UZB", "TJK")
NATIONALITIES = ("AFG", "SYR", "IRN", "PAK", "STATELESS", "UNKNOWN")
_CATEGORIES = sorted(CATEGORIES)
_SERVICES = sorted(REFERRAL_SERVICES)


def caller(org: str, sub: str | None = None) -> Caller:
    return Caller(Actor(sub or f"{org}-worker", org, f"{org}-client"))


def opening(rng: random.Random) -> dict:
    met = date(2025, 1, 1) + timedelta(days=rng.randrange(600))
    person = {"given_name": "Test", "family_name": f"P{rng.randrange(10**6)}",
              "sex": rng.choice(("female", "male", "other", "unknown")),
              "nationality": rng.choice(NATIONALITIES)}
    if rng.random() < 0.8:
        person["date_of_birth"] = (met - timedelta(days=rng.randrange(80 * 365))).isoformat()
    else:
        person["age_estimate"] = rng.randrange(1, 70)
    return {"person": person,
            "encounter": {"date": met.isoformat(), "country": rng.choice(COUNTRIES), "place": "somewhere",
                          "type": rng.choice(("border", "inland", "detention", "outreach"))},
            "categories": rng.sample(_CATEGORIES, rng.randrange(0, 3)),
            "asylum_intention": rng.random() < 0.3,
            "effective_at": f"{met.isoformat()}T08:00:00Z" if rng.random() < 0.5 else None}


def step(cases: Cases, rng: random.Random, case_ids: list[UUID]) -> None:
    if not case_ids or rng.random() < 0.2:
        org = rng.choice(ORGS)
        case_ids.append(cases.open_case(caller(org), **opening(rng)).case.id)
        return
    case_id = rng.choice(case_ids)
    case = cases.get_case(case_id)
    owner = caller(case.owner_org)
    other = rng.choice([o for o in ORGS if o != case.owner_org])
    referrals = list(case.referrals.values())
    returns = [r for r in case.returns.values() if r["status"] == "initiated"]
    choices = [
        lambda: cases.add_categories(owner, case_id, rng.sample(_CATEGORIES, 2)),
        lambda: cases.remove_categories(owner, case_id, case.categories[:1]),
        lambda: cases.record_asylum(owner, case_id, rng.choice(("intention_expressed", "lodged", "rejected",
                                                                 "rejected_final", "recognized"))),
        lambda: cases.refer(owner, case_id, other, rng.choice(_SERVICES)),
        lambda: cases.assign(owner, case_id, f"{case.owner_org}-w{rng.randrange(3)}"),
        lambda: cases.add_note(owner, case_id, "note"),
        lambda: cases.give_consent(owner, case_id, "voluntary_return", case.owner_org),
        lambda: cases.apply_for_regularization(owner, case_id, "humanitarian"),
        lambda: cases.grant_regularization(owner, case_id, "2030-01-01"),
        lambda: cases.initiate_return(owner, case_id, rng.choice(("voluntary", "assisted_voluntary", "forced")),
                                      "AFG", "2026-12-01"),
        lambda: cases.request_transfer(owner, case_id, other),
        lambda: cases.close_case(owner, case_id, "done"),
        lambda: cases.reopen_case(owner, case_id, "again"),
    ]
    if case.transfer:
        to = caller(case.transfer["to_org"])
        choices += [lambda: cases.accept_transfer(to, case_id), lambda: cases.reject_transfer(to, case_id)]
    for referral in referrals:
        to, rid = caller(referral["to_org"]), referral["id"]
        choices += [lambda: cases.accept_referral(to, case_id, rid),
                    lambda: cases.decline_referral(to, case_id, rid, "full"),
                    lambda: cases.complete_referral(to, case_id, rid),
                    lambda: cases.withdraw_referral(caller(referral["from_org"]), case_id, rid)]
    for ret in returns:
        choices += [lambda: cases.complete_return(owner, case_id, ret["id"]),
                    lambda: cases.cancel_return(owner, case_id, ret["id"])]
    if rng.random() < 0.02:
        choices = [lambda: cases.erase_case(caller(case.owner_org, "dpo"), case_id)]
    try:
        rng.choice(choices)()
    except (DomainError, TooMuchContention):
        pass  # refused by a rule: fine, the stream just does not grow this time


def run_workload(cases: Cases, events: int, seed: int = 5, case_ids: list[UUID] | None = None) -> list[UUID]:
    """Issue commands until the event store holds at least `events` events."""
    rng = random.Random(seed)
    case_ids = [] if case_ids is None else case_ids
    while (cases.recorder.max_notification_id() or 0) < events:
        step(cases, rng, case_ids)
    return case_ids


def snapshot(database: Database) -> dict[str, list[tuple]]:
    """Every row of every view, in a fixed order (tracking times excluded)."""
    out = {}
    with database.transaction() as cur:
        for projection in all_projections():
            for table in projection.tables:
                out[table] = sorted(tuple("" if v is None else str(v) for v in row)
                                    for row in cur.execute(f"SELECT * FROM {table}").fetchall())
        out["tracking"] = sorted(cur.execute("SELECT projection, notification_id FROM projection_tracking")
                                 .fetchall())
    return out
