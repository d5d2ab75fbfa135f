"""Run the benchmarks and write their figures into docs/benchmarks.md.

    .venv/bin/python -m bench.run                 # everything, ~15 min on 2 cores
    .venv/bin/python -m bench.run --only write,history --seconds 3 --reps 3
    .venv/bin/python -m bench.run --rebuild-events 1000000   # the 1M rebuild too

Every figure is the median of `--reps` runs; every ratio is taken between runs made
back to back within one repetition (then the median of those ratios), so the noise
of other work on the machine cancels as far as it can. Results also go to
bench/results/latest.json.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

import psycopg

from application.cases import Caller
from bench import common, seed
from bench.common import ROOT, Workspace, gunicorn, http, log, lua, median, rss_mib, token, wrk
from bench.plain_app import DDL
from bench.report import write_report
from domain.actor import Actor
from service.cli.views import rebuild_views
from service.config import Config
from service.wiring import open_store
from store.database import Database
from store.integrity import verify_case

OPEN_BODY = json.dumps({
    "person": {"given_name": "Aziz", "family_name": "Karimi", "sex": "male", "date_of_birth": "2009-03-14",
               "nationality": "AFG", "languages": ["prs"],
               "documents": [{"type": "passport", "number": "P1234567", "issuing_country": "AFG"}]},
    "encounter": {"date": "2026-11-20", "country": "KAZ", "place": "Zhibek Zholy border crossing",
                  "type": "border"},
    "categories": ["asylum_seeker", "unaccompanied_child"], "asylum_intention": True,
    "notes": "Arrived alone, states he fears return."})
NOTE_BODY = json.dumps({"text": "Called the person back; an interpreter is booked for Tuesday."})


def _app(ws: Workspace):
    """An in-process Cases application on the workspace (seeding, replay timing)."""
    ws.apply_env()
    return open_store(Config.from_env())[1]


def _project_once(ws: Workspace) -> None:
    subprocess.run([sys.executable, "-m", "service.cli", "project", "--once"], env=ws.env(), cwd=ROOT,
                   check=True, capture_output=True)


# ---- 1 + 2 + 6: write and read paths, memory of the workers ---------------------------
def http_paths(args, results: dict) -> None:
    with common.workspace() as ws:
        app = _app(ws)  # creates the event store and case-key tables
        rng_cases = __import__("random").Random(5)

        log("seeding cases for the note and read runs")
        note_cases = []
        for _ in range(max(1, args.cases // 50)):
            batch = [seed.new_case(rng_cases) for _ in range(50)]
            app.save(*batch)
            note_cases += [str(c.id) for c in batch]
        read_cases = [str(seed.case_with_events(app, 10, seed=i)) for i in range(args.read_cases)]
        app.close()
        with psycopg.connect(common.PG, autocommit=True) as conn:
            conn.execute(f"SET search_path = {ws.schema}")
            conn.execute(DDL)
            conn.execute("INSERT INTO plain_items (ref, body) SELECT gen_random_uuid(), %s::jsonb"
                         " FROM generate_series(1, %s)", (OPEN_BODY, args.read_cases))
        plain_env = {"BENCH_PLAIN_DATABASE_URL": common.PG, "BENCH_PLAIN_SCHEMA": ws.schema}
        with gunicorn(ws) as service, gunicorn(ws, "bench.plain_app:create_app()", plain_env) as plain:
            auth = {"Authorization": "Bearer " + token(ws, "bench-officer", "sms", "caseworker", "supervisor"),
                    "Content-Type": "application/json"}
            status, _, _ = http("POST", service.url + "/cases", json.loads(OPEN_BODY), auth)
            assert status == 201, status
            scripts = {
                "plain_insert": (plain, lua("POST", ["/plain"], {"Content-Type": "application/json"}, OPEN_BODY)),
                "open_case": (service, lua("POST", ["/cases"], auth, OPEN_BODY)),
                "add_note": (service, lua("POST", [f"/cases/{c}/notes" for c in note_cases], auth, NOTE_BODY)),
            }
            writes: dict = {}
            for clients in args.clients:
                rows: dict[str, list] = {name: [] for name in scripts}
                rows["pgbench"] = []
                for rep in range(args.reps):
                    order = list(scripts)[rep % 3:] + list(scripts)[:rep % 3]
                    for name in order:
                        server, script = scripts[name]
                        load = wrk(server.url, script, clients, args.seconds, server)
                        rows[name].append(load)
                        log(f"write c={clients} rep={rep} {name}: {load.rps:.0f} req/s p50 {load.p50_ms:.1f}"
                            f" p99 {load.p99_ms:.1f} ms errors {load.errors} cpu {load.cpu_ms} ms/req")
                    rows["pgbench"].append(common.pgbench(clients, args.seconds, ws.schema))
                    log(f"write c={clients} rep={rep} pgbench: {rows['pgbench'][-1]}")
                writes[clients] = _summarise(rows, "plain_insert")
            results["write"] = writes
            results["memory"] = {"workers_after_writes_mib": [round(rss_mib(p), 1) for p in service.worker_pids()],
                                 "plain_workers_mib": [round(rss_mib(p), 1) for p in plain.worker_pids()]}

            _project_once(ws)
            reads: dict = {}
            read_scripts = {
                "plain_select": (plain, lua("GET", [f"/plain/{i}" for i in range(1, args.read_cases + 1)], {})),
                "get_case": (service, lua("GET", [f"/cases/{c}" for c in read_cases], auth)),
                "list_cases": (service, lua("GET", ["/cases?limit=50"], auth)),
                "list_cases_1": (service, lua("GET", ["/cases?limit=1"], auth)),
            }
            for clients in args.read_clients:
                rows = {name: [] for name in read_scripts}
                for rep in range(args.reps):
                    for name, (server, script) in read_scripts.items():
                        load = wrk(server.url, script, clients, args.seconds, server)
                        rows[name].append(load)
                        log(f"read c={clients} rep={rep} {name}: {load.rps:.0f} req/s p50 {load.p50_ms:.1f}"
                            f" p99 {load.p99_ms:.1f} ms errors {load.errors} cpu {load.cpu_ms} ms/req")
                reads[clients] = _summarise(rows, "plain_select")
            results["read"] = reads
            results["memory"]["workers_after_reads_mib"] = [round(rss_mib(p), 1) for p in service.worker_pids()]
            results["memory"]["workers_peak_mib"] = [round(rss_mib(p, "VmHWM"), 1) for p in service.worker_pids()]


def _summarise(rows: dict, baseline: str) -> dict:
    out = {}
    for name, loads in rows.items():
        if name == "pgbench":
            ok = [r for r in loads if r.get("tps")]
            out[name] = {"tps": round(median([r["tps"] for r in ok]), 1) if ok else None,
                         "latency_avg_ms": round(median([r["latency_avg_ms"] or 0 for r in ok]), 2) if ok else None}
            continue
        out[name] = {"rps": round(median([l.rps for l in loads]), 1), "p50_ms": round(median([l.p50_ms for l in loads]), 2),
                     "p99_ms": round(median([l.p99_ms for l in loads]), 2), "errors": sum(l.errors for l in loads),
                     "runs_rps": [round(l.rps) for l in loads],
                     "cpu_ms_per_request": round(median(cpus), 2) if (cpus := [l.cpu_ms for l in loads
                                                                               if l.cpu_ms is not None]) else None}
        if name != baseline:
            out[name]["ratio_to_" + baseline] = round(median(
                [l.rps / b.rps for l, b in zip(loads, rows[baseline])]), 3)
    if "pgbench" in rows:
        for name in rows:
            if name != "pgbench":
                ratios = [l.rps / p["tps"] for l, p in zip(rows[name], rows["pgbench"]) if p.get("tps")]
                out[name]["ratio_to_pgbench"] = round(median(ratios), 3) if ratios else None
    return out


# ---- 3: projection catch-up and lag; 6: the runner's memory ---------------------------
def projection(args, results: dict) -> None:
    out: dict = {}
    for size in args.rebuild_events:
        with common.workspace() as ws:
            app = _app(ws)

            log(f"seeding {size:,} events")
            seeded = seed.seed_events(app, size)
            log(f"seeded {seeded['events']:,} events in {seeded['cases']:,} cases in {seeded['seconds']:.1f} s"
                f" ({seeded['events'] / seeded['seconds']:.0f} events/s)")
            database = Database(ws.database_url)
            runs = []
            reps = args.reps if size <= 200_000 else 1
            for rep in range(reps):
                started = time.perf_counter()
                rebuild_views(database, app)
                runs.append(time.perf_counter() - started)
                log(f"rebuild {size:,} rep={rep}: {runs[-1]:.1f} s, {seeded['events'] / runs[-1]:.0f} events/s")
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "service.cli", "rebuild-views"], env=ws.env(), cwd=ROOT,
                           check=True, capture_output=True)
            cli_seconds = time.perf_counter() - started
            out[size] = {"events": seeded["events"], "cases": seeded["cases"],
                         "seed_events_per_s": round(seeded["events"] / seeded["seconds"]),
                         "rebuild_s": round(median(runs), 2), "events_per_s": round(seeded["events"] / median(runs)),
                         "runs_events_per_s": [round(seeded["events"] / r) for r in runs],
                         "cli_wall_s": round(cli_seconds, 2), "cli_events_per_s": round(seeded["events"] / cli_seconds)}
            if size == args.rebuild_events[0]:
                out["lag"] = _lag(ws, args)
            database.close()
            app.close()
    results["projection"] = out


def _lag(ws: Workspace, args) -> dict:
    """`casetrail project` following the store while wrk writes notes at 8 clients."""

    app = _app(ws)
    rng = __import__("random").Random(9)
    cases = [seed.new_case(rng) for _ in range(200)]
    app.save(*cases)
    app.close()
    runner = subprocess.Popen([sys.executable, "-m", "service.cli", "project"], env=ws.env(), cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples: list[tuple[int, float]] = []
    stop = threading.Event()

    def sample() -> None:
        with psycopg.connect(common.PG, autocommit=True) as conn:
            conn.execute(f"SET search_path = {ws.schema}")
            while not stop.is_set():
                head = conn.execute("SELECT max(notification_id) FROM cases_events").fetchone()[0] or 0
                low = conn.execute("SELECT min(notification_id) FROM projection_tracking").fetchone()[0] or 0
                samples.append((head - low, time.monotonic()))
                time.sleep(0.05)

    try:
        time.sleep(2)
        with gunicorn(ws) as service:
            auth = {"Authorization": "Bearer " + token(ws, "bench-officer", "sms", "caseworker"),
                    "Content-Type": "application/json"}
            script = lua("POST", [f"/cases/{c.id}/notes" for c in cases], auth, NOTE_BODY)
            thread = threading.Thread(target=sample, daemon=True)
            thread.start()
            load = wrk(service.url, script, 8, args.lag_seconds)
            stop.set()
            thread.join()
        lags = sorted(s[0] for s in samples)
        catch_up_started = time.monotonic()
        with psycopg.connect(common.PG, autocommit=True) as conn:
            conn.execute(f"SET search_path = {ws.schema}")
            while True:
                head = conn.execute("SELECT max(notification_id) FROM cases_events").fetchone()[0]
                low = conn.execute("SELECT min(notification_id) FROM projection_tracking").fetchone()[0]
                if low >= head or time.monotonic() - catch_up_started > 60:
                    break
                time.sleep(0.02)
        return {"write_rps": round(load.rps, 1), "write_p99_ms": round(load.p99_ms, 1), "samples": len(lags),
                "lag_events_p50": lags[len(lags) // 2], "lag_events_p99": lags[int(len(lags) * 0.99)],
                "lag_events_max": lags[-1], "drain_after_load_s": round(time.monotonic() - catch_up_started, 3),
                "lag_seconds_p50_estimate": round(lags[len(lags) // 2] / load.rps, 3) if load.rps else None,
                "runner_rss_mib": round(rss_mib(runner.pid), 1),
                "runner_peak_mib": round(rss_mib(runner.pid, "VmHWM"), 1)}
    finally:
        runner.terminate()
        runner.wait(30)


# ---- 4: history replay --------------------------------------------------------------
def history(args, results: dict) -> None:
    with common.workspace() as ws:
        app = _app(ws)

        out = {}
        for events in args.history_lengths:
            case_id = seed.case_with_events(app, events, seed=events)
            timings = []
            for _ in range(args.replays):
                started = time.perf_counter()
                case = app.get_case(case_id)
                timings.append((time.perf_counter() - started) * 1000)
            assert case.version == events, (case.version, events)
            # A command on the long case: load, decide, save (hash chain onto the head).
            command = []
            for _ in range(5):
                started = time.perf_counter()
                app.add_note(Caller(Actor("bench", "sms")), case_id, "one more")
                command.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            report = verify_case(app, case_id)
            verify_ms = (time.perf_counter() - started) * 1000
            assert report.valid, report
            out[events] = {"replay_ms_p50": round(median(timings), 2), "replay_ms_min": round(min(timings), 2),
                           "command_ms_p50": round(median(command), 2), "verify_chain_ms": round(verify_ms, 1)}
            log(f"history {events}: replay {out[events]['replay_ms_p50']} ms, command {out[events]['command_ms_p50']} ms")
        app.close()
    results["history"] = out


# ---- 5: statistics ----------------------------------------------------------------------
STATS_QUERIES = {
    "by_stage": "/stats/cases?group_by=stage",
    "by_nationality_sex": "/stats/cases?group_by=nationality,sex",
    "category_in_referral": "/stats/cases?group_by=category&stage=referral",
    "total_2026": "/stats/cases?from=2026-01&to=2026-12",
}


def stats(args, results: dict) -> None:
    with common.workspace() as ws:
        app = _app(ws)
        app.close()
        out: dict = {}
        with gunicorn(ws) as service:
            database = Database(ws.database_url)
            auth = {"Authorization": "Bearer " + token(ws, "bench-analyst", "sms", "analyst")}
            per_size: dict = {}
            for size in args.stats_cases:
                seeded = seed.seed_statistics(database, size)
                log(f"statistics: {size:,} cases, {seeded['cells']:,} cells in {seeded['seconds']:.1f} s")
                per_size[size] = {"cells": seeded["cells"]}
                for name, path in STATS_QUERIES.items():
                    status, _, body = http("GET", service.url + path, headers=auth)
                    assert status == 200, (status, body)
                    runs = [wrk(service.url, lua("GET", [path], auth), 1, args.seconds) for _ in range(args.reps)]
                    per_size[size][name] = {"p50_ms": round(median([r.p50_ms for r in runs]), 2),
                                            "p99_ms": round(median([r.p99_ms for r in runs]), 2)}
                    log(f"statistics {size:,} {name}: p50 {per_size[size][name]['p50_ms']} ms")
            database.close()
            small, big = args.stats_cases[0], args.stats_cases[-1]
            out = {"sizes": per_size,
                   "growth": {name: round(per_size[big][name]["p50_ms"] / per_size[small][name]["p50_ms"], 2)
                              for name in STATS_QUERIES}}
    results["stats"] = out


SECTIONS = {"write": http_paths, "projection": projection, "history": history, "stats": stats}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections: " + ",".join(SECTIONS))
    parser.add_argument("--seconds", type=float, default=5, help="length of each load run")
    parser.add_argument("--reps", type=int, default=3, help="runs per figure (the median is kept)")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--read-clients", default="8,32")
    parser.add_argument("--cases", type=int, default=500, help="cases the note commands spread over")
    parser.add_argument("--read-cases", type=int, default=200, help="cases of 10 events read by GET /cases/{id}")
    parser.add_argument("--rebuild-events", default="100000", help="sizes, e.g. 100000,1000000")
    parser.add_argument("--lag-seconds", type=float, default=10)
    parser.add_argument("--history-lengths", default="10,100,1000")
    parser.add_argument("--replays", type=int, default=15)
    parser.add_argument("--stats-cases", default="1000,200000")
    parser.add_argument("--label", default="", help="a name for this run in the results file")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = parser.parse_args(argv)
    ints = lambda text: [int(x) for x in text.split(",") if x]  # noqa: E731
    args.clients, args.read_clients = ints(args.clients), ints(args.read_clients)
    args.rebuild_events, args.history_lengths = ints(args.rebuild_events), ints(args.history_lengths)
    args.stats_cases = ints(args.stats_cases)

    common.ensure_database()
    results: dict = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "label": args.label,
                     "machine": common.machine(), "settings": {k: v for k, v in vars(args).items()}}
    started = time.monotonic()
    for name in args.only.split(","):
        log(f"section {name}")
        SECTIONS[name](args, results)
        results.setdefault("section_runs", {})[name] = results["started"]
    results["wall_seconds"] = round(time.monotonic() - started)
    results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / "latest.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    # Merge with the last run so that a partial run (--only) keeps the other sections.
    merged = {**previous, **results,
              "section_runs": {**previous.get("section_runs", {}), **results.get("section_runs", {})}}
    path.write_text(json.dumps(merged, indent=1, default=str) + "\n")
    if not args.no_docs:
        write_report(merged, ROOT / "docs" / "benchmarks.md")
    print(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
