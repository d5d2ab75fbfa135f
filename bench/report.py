"""Render bench/results/latest.json into the generated part of docs/benchmarks.md
(between the `results` markers; the prose around it is written by hand)."""
from __future__ import annotations

from pathlib import Path

START, END = "<!-- results:start (written by python -m bench.run) -->", "<!-- results:end -->"
NAMES = {"plain_insert": "plain Flask + psycopg INSERT", "open_case": "POST /cases", "add_note": "POST /cases/{id}/notes",
         "plain_select": "plain Flask + psycopg SELECT", "get_case": "GET /cases/{id} (10 events)",
         "list_cases": "GET /cases?limit=50", "list_cases_1": "GET /cases?limit=1"}


def _fmt(value, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    return f"{value:,.0f}" if isinstance(value, (int, float)) else str(value)


def render(r: dict) -> str:
    m = r.get("machine", {})
    s = r.get("settings", {})
    runs = r.get("section_runs") or {}
    out = [f"Run started {r.get('started')} ({r.get('label') or 'no label'}), {r.get('wall_seconds', '?')} s in all."
           + (" Sections from earlier runs: " + ", ".join(f"{k} {v}" for k, v in sorted(runs.items())
                                                           if v != r.get("started")) + "."
              if any(v != r.get("started") for v in runs.values()) else ""),
           f"Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gib')} GiB; PostgreSQL {m.get('postgres')}"
           f" (fsync {m.get('fsync')}, synchronous_commit {m.get('synchronous_commit')}) on the same host;"
           f" Python {m.get('python')}, gunicorn {m.get('gunicorn')}, eventsourcing {m.get('eventsourcing')},"
           f" psycopg {m.get('psycopg')} ({m.get('psycopg_impl')}). Load average at start {m.get('loadavg_at_start')},"
           f" at end {m.get('loadavg_at_end')} (other test suites share the machine).",
           f"Each load run {s.get('seconds')} s, median of {s.get('reps')} runs; wrk with 2 threads"
           " (1 at one client); ratios are medians of per-repetition ratios of runs made back to back.", ""]
    if "write" in r:
        out += ["### Write path (gunicorn deploy/gunicorn.conf.py: 2 workers x 4 threads, authenticated)", "",
                "| clients | endpoint | req/s | p50 ms | p99 ms | errors | x plain INSERT | x pgbench | server CPU ms/req |",
                "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for clients, rows in r["write"].items():
            for name in ("plain_insert", "open_case", "add_note"):
                row = rows[name]
                out.append(f"| {clients} | {NAMES[name]} | {_fmt(row['rps'])} | {row['p50_ms']} | {row['p99_ms']} |"
                           f" {row['errors']} | {row.get('ratio_to_plain_insert', 1.0)} | {row.get('ratio_to_pgbench')} |"
                           f" {row.get('cpu_ms_per_request')} |")
            pg = rows["pgbench"]
            out.append(f"| {clients} | pgbench, one INSERT a transaction | {_fmt(pg['tps'])} tps | avg"
                       f" {pg['latency_avg_ms']} | | | | 1 | |")
        out.append("")
    if "read" in r:
        out += ["### Read path", "",
                "| clients | endpoint | req/s | p50 ms | p99 ms | errors | x plain SELECT | server CPU ms/req |",
                "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for clients, rows in r["read"].items():
            for name, row in rows.items():
                out.append(f"| {clients} | {NAMES.get(name, name)} | {_fmt(row['rps'])} | {row['p50_ms']} |"
                           f" {row['p99_ms']} | {row['errors']} | {row.get('ratio_to_plain_select', 1.0)} |"
                           f" {row.get('cpu_ms_per_request')} |")
        out.append("")
    if "projection" in r:
        out += ["### Projection catch-up (`rebuild-views`: drop every view, replay the store)", "",
                "| events | cases | rebuild s | events/s (median) | runs | CLI wall s (incl. start-up) | seeding events/s |",
                "| ---: | ---: | ---: | ---: | --- | ---: | ---: |"]
        for size, row in r["projection"].items():
            if size == "lag":
                continue
            out.append(f"| {_fmt(row['events'])} | {_fmt(row['cases'])} | {row['rebuild_s']} | {_fmt(row['events_per_s'])} |"
                       f" {row['runs_events_per_s']} | {row['cli_wall_s']} | {_fmt(row['seed_events_per_s'])} |")
        lag = r["projection"].get("lag")
        if lag:
            out += ["", f"View lag under sustained writes (`casetrail project` as its own process, POST notes at 8"
                    f" clients, {lag['write_rps']} req/s, p99 {lag['write_p99_ms']} ms; {lag['samples']} samples of"
                    f" head - slowest view position): p50 {lag['lag_events_p50']} events"
                    f" (~{lag['lag_seconds_p50_estimate']} s at that rate), p99 {lag['lag_events_p99']},"
                    f" max {lag['lag_events_max']}; caught up {lag['drain_after_load_s']} s after the load stopped."]
        out.append("")
    if "history" in r:
        out += ["### History: load (replay) a case, in process", "",
                "| events | replay p50 ms | replay min ms | command on it (load+decide+save) p50 ms | verify chain ms |",
                "| ---: | ---: | ---: | ---: | ---: |"]
        for events, row in r["history"].items():
            out.append(f"| {_fmt(int(events))} | {row['replay_ms_p50']} | {row['replay_ms_min']} | {row['command_ms_p50']} |"
                       f" {row['verify_chain_ms']} |")
        out.append("")
    if "stats" in r:
        sizes = r["stats"]["sizes"]
        keys = list(sizes)
        out += ["### Statistics: GET /stats/cases through gunicorn, one client (p50 ms)", "",
                "| query | " + " | ".join(f"{int(k):,} cases ({sizes[k]['cells']:,} cells)" for k in keys)
                + " | growth |", "| --- |" + " ---: |" * (len(keys) + 1)]
        for name, growth in r["stats"]["growth"].items():
            out.append(f"| {name} | " + " | ".join(str(sizes[k][name]["p50_ms"]) for k in keys) + f" | {growth}x |")
        out.append("")
    if "memory" in r:
        mem = r["memory"]
        out += ["### Memory (RSS, MiB)", "",
                f"- service workers after the write runs: {mem.get('workers_after_writes_mib')}; after the reads:"
                f" {mem.get('workers_after_reads_mib')}; peak {mem.get('workers_peak_mib')}",
                f"- plain baseline workers: {mem.get('plain_workers_mib')}"]
        lag = r.get("projection", {}).get("lag")
        if lag:
            out.append(f"- `casetrail project` runner after the lag run: {lag['runner_rss_mib']} (peak"
                       f" {lag['runner_peak_mib']})")
        out.append("")
    return "\n".join(out)


def write_report(results: dict, path: Path) -> None:
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n## Latest figures\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n## Latest figures\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{render(results)}\n{END}{tail}")
