"""The access log: who read which case, when, and which view (DESIGN.md,
"Every read of a case or its history is written to the access log").

Append-only: rows are only ever inserted, and the database refuses UPDATE and
DELETE on the table (a trigger), so a reader cannot wipe their tracks through
this code. Rows hold ids and codes, never personal data. Each row names the org
that owned the case when it was read, so a data protection officer sees the reads
of its org's cases as they were then, whatever happened to the case later.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from auth.principal import Principal
from store.database import Database

_COLUMNS = ("at TEXT NOT NULL, sub TEXT NOT NULL, client_id TEXT, org TEXT NOT NULL, case_id TEXT,"
            " view TEXT NOT NULL, redacted BOOLEAN, filters TEXT, owner_org TEXT")
_SQLITE = [
    f"CREATE TABLE IF NOT EXISTS access_log (id INTEGER PRIMARY KEY AUTOINCREMENT, {_COLUMNS})",
    "CREATE INDEX IF NOT EXISTS access_log_case ON access_log (case_id, at)",
    "CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log"
    " BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log"
    " BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END",
]
_POSTGRES = [
    "SELECT pg_advisory_xact_lock(hashtext('casetrail.access_log'))",
    f"CREATE TABLE IF NOT EXISTS access_log (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, {_COLUMNS})",
    # Tables made before the owner was recorded: their rows stay without one.
    "ALTER TABLE access_log ADD COLUMN IF NOT EXISTS owner_org TEXT",
    "CREATE INDEX IF NOT EXISTS access_log_case ON access_log (case_id, at)",
    "CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN RAISE EXCEPTION 'access_log is append-only'; END $$",
    "CREATE OR REPLACE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log"
    " FOR EACH ROW EXECUTE FUNCTION access_log_append_only()",
]
_FIELDS = ("id", "at", "sub", "client_id", "org", "case_id", "view", "redacted", "filters", "owner_org")


def create_table(database: Database) -> None:
    with database.transaction() as cur:
        for statement in _POSTGRES if database.kind == "postgres" else _SQLITE:
            cur.execute(statement)
        if database.kind == "sqlite" and "owner_org" not in {
                row[1] for row in cur.execute("PRAGMA table_info(access_log)").fetchall()}:
            cur.execute("ALTER TABLE access_log ADD COLUMN owner_org TEXT")


def record(principal: Principal, view: str, *, database: Database, case_id: Any = None,
           owner_org: str | None = None, filters: dict | None = None, redacted: bool | None = None) -> None:
    """Write one read, committed before this returns. `view` names what was read
    (`current`, `version`, `as_of`, `referral`, `return`, `list`, `history`...);
    `owner_org` the org owning the case then; `filters` the list query's filters
    (codes only: a name search is logged as `q: true`, not its text)."""
    database.write("INSERT INTO access_log (at, sub, client_id, org, case_id, view, redacted, filters, owner_org)"
                   " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                   (_now(), principal.sub, principal.client_id, principal.org,
                    str(case_id) if case_id is not None else None, view, redacted,
                    json.dumps(filters, sort_keys=True, default=str) if filters is not None else None, owner_org))


def page(database: Database, *, after_id: int = 0, limit: int = 50, owner_org: str | None = None,
         case_id: Any = None, actor: str | None = None, since: datetime | None = None,
         before: datetime | None = None) -> list[dict]:
    """Up to `limit` rows after `after_id`, oldest first; `owner_org` keeps only the
    reads of that org's cases (the policy's `access_log_scope`)."""
    sql, params = [f"SELECT {', '.join(_FIELDS)} FROM access_log WHERE id > %s"], [after_id]
    for column, op, value in (("owner_org", "=", owner_org), ("case_id", "=", case_id), ("sub", "=", actor),
                              ("at", ">=", since), ("at", "<", before)):
        if value is not None:
            sql.append(f"AND {column} {op} %s")
            params.append(_utc(value) if isinstance(value, datetime) else str(value))
    sql.append("ORDER BY id LIMIT %s")
    with database.transaction() as cur:
        rows = cur.execute(" ".join(sql), (*params, limit)).fetchall()
    return [_entry(row) for row in rows]


def entries(database: Database, case_id: Any = None) -> list[dict]:
    """Every row (about one case), oldest first (for tests and the CLI)."""
    sql = f"SELECT {', '.join(_FIELDS)} FROM access_log"
    params: tuple = ()
    if case_id is not None:
        sql, params = sql + " WHERE case_id = %s", (str(case_id),)
    with database.transaction() as cur:
        rows = cur.execute(sql + " ORDER BY id", params).fetchall()
    return [_entry(row) for row in rows]


def _entry(row: tuple) -> dict:
    entry = dict(zip(_FIELDS, row))
    entry["redacted"] = None if entry["redacted"] is None else bool(entry["redacted"])
    entry["filters"] = json.loads(entry["filters"]) if entry["filters"] else None
    return entry


def _utc(moment: datetime) -> str:
    # Stored as UTC with a Z: compared as text, like with like.
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _now() -> str:
    return _utc(datetime.now(timezone.utc))
