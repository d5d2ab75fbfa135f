"""The read views follow the event store exactly once, on SQLite and PostgreSQL:
after a random workload, the live views equal a rebuild row for row, the access
table agrees with the policy, and the counters agree with the cases themselves."""
from __future__ import annotations

import threading
from collections import Counter

import pytest

from application.cases import Cases
from auth.policy import listable_relationships, relationship
from auth.principal import Principal
from projections import all_projections
from projections.runner import Runner, ensure_tables
from projections.service import ProjectionService
from projections.statistics import DIMENSIONS, MULTI
from projections.stats_query import case_stats
from service.cli.views import rebuild_views
from store import case_keys_for
from store.database import Database, persistence_env
from tests.support.projection_workload import ORGS, run_workload, snapshot


@pytest.fixture
def store(database_url, tmp_path):
    database = Database(database_url)
    keys = case_keys_for(database_url, None, None, tmp_path / "var", database)
    cases = Cases(env=persistence_env(database_url), case_keys=keys)
    yield database, cases
    cases.close()
    database.close()


def test_projections_rebuilt_from_the_event_store_equal_the_live_ones(store):
    database, cases = store
    service = ProjectionService(database, cases, batch_size=37)  # batches that end mid-case
    service.run_once()
    run_workload(cases, 400, seed=1)
    service.run_once()  # live: the first half was already applied, the rest follows
    run_workload(cases, 700, seed=2)
    service.run_once()
    live = snapshot(database)
    assert live["case_summaries"] and live["stats_cells"] and live["case_access"]
    rebuild_views(database, cases)
    assert snapshot(database) == live


def test_case_access_agrees_with_the_policy_for_every_case_org_and_role(store):
    database, cases = store
    case_ids = run_workload(cases, 500, seed=3)
    ProjectionService(database, cases).run_once()
    with database.transaction() as cur:
        rows = cur.execute("SELECT case_id, org, relationship FROM case_access").fetchall()
    for case_id in case_ids:
        case = cases.get_case(case_id)
        for org in ORGS:
            for roles in ({"caseworker"}, {"supervisor"}, {"dpo"}, {"auditor"}, {"analyst"}):
                principal = Principal("u", org, frozenset(roles))
                allowed = listable_relationships(principal)
                listed = allowed is None or any(
                    c == str(case_id) and o == org and r in allowed for c, o, r in rows)
                assert listed == (relationship(principal, case) is not None), (case_id, org, roles)


def test_counters_count_each_case_once_per_value_of_each_dimension(store):
    database, cases = store
    case_ids = run_workload(cases, 500, seed=4)
    ProjectionService(database, cases).run_once()
    expected_stage, expected_category = Counter(), Counter()
    for case_id in case_ids:
        case = cases.get_case(case_id)
        expected_stage[case.stage] += 1
        for category in case.categories or ["none"]:
            expected_category[category] += 1
    with database.transaction() as cur:
        stage = dict(cur.execute("SELECT stage, SUM(n) FROM stats_cells WHERE grain = 0 GROUP BY stage")
                     .fetchall())
        category = dict(cur.execute("SELECT category, SUM(n) FROM stats_cells WHERE grain = 1"
                                    " GROUP BY category").fetchall())
        grains = {g for (g,) in cur.execute("SELECT DISTINCT grain FROM stats_cells").fetchall()}
    assert {k: int(v) for k, v in stage.items()} == dict(expected_stage)
    assert {k: int(v) for k, v in category.items()} == dict(expected_category)
    assert grains == set(range(1 << len(MULTI)))


def test_two_runners_racing_on_one_view_apply_each_event_once(store):
    database, cases = store
    ensure_tables(database, all_projections())
    run_workload(cases, 300, seed=6)
    runners = [Runner(database, cases, type(p)(), batch_size=7) for p in all_projections() for _ in range(2)]
    threads = [threading.Thread(target=r.catch_up) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    raced = snapshot(database)
    rebuild_views(database, cases)
    assert snapshot(database) == raced


def test_a_batch_that_fails_half_way_leaves_no_trace(store):
    database, cases = store
    ensure_tables(database, all_projections())
    run_workload(cases, 120, seed=7)
    before = snapshot(database)
    projection = all_projections()[2]
    calls = []

    def fail_late(cur, event):
        calls.append(event)
        if len(calls) == 50:
            raise RuntimeError("crash in the middle of a batch")
        type(projection).apply(projection, cur, event)

    projection.apply = fail_late
    with pytest.raises(RuntimeError):
        Runner(database, cases, projection, batch_size=100).run_batch()
    assert snapshot(database) == before
    Runner(database, cases, all_projections()[2], batch_size=100).catch_up()
    assert snapshot(database)["tracking"] != before["tracking"]


def test_queries_of_one_or_two_dimensions_read_the_cuboids_and_agree_with_the_cells(store):
    import itertools


    database, cases = store
    run_workload(cases, 400, seed=8)
    ProjectionService(database, cases).run_once()
    for group_by in [[]] + [[d] for d in DIMENSIONS] + [list(p) for p in itertools.combinations(DIMENSIONS, 2)]:
        assert case_stats(database, group_by, {}, k=1) == case_stats(database, group_by, {}, k=1,
                                                                     exact_cells=True), group_by
    for filters, group_by in [({"sex": "female"}, ["stage"]), ({"category": "stateless"}, []),
                              ({"encounter_country": "KAZ"}, ["referral_service"])]:
        kwargs = dict(month_from="2025-03", month_to="2026-01", k=1)
        assert case_stats(database, group_by, filters, **kwargs) == case_stats(
            database, group_by, filters, exact_cells=True, **kwargs)
        kwargs = dict(countries=frozenset({"KAZ", "UZB"}), k=1)
        assert case_stats(database, group_by, filters, **kwargs) == case_stats(
            database, group_by, filters, exact_cells=True, **kwargs)
