"""The access log: who read which case, when, and which view (DESIGN.md,
"Every read of a case or its history is written to the access log").

Append-only: rows are only ever inserted, and the database refuses UPDATE and
DELETE on the table (a trigger), so a reader cannot wipe their tracks through
this code. Rows hold ids and codes, never personal data.

Other read endpoints (list, search, history) call `record` too.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from flask import current_app

from auth.principal import Principal
from service.database import Database

_COLUMNS = ("at TEXT NOT NULL, sub TEXT NOT NULL, client_id TEXT, org TEXT NOT NULL, case_id TEXT,"
            " view TEXT NOT NULL, redacted BOOLEAN, filters TEXT")
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
    "CREATE INDEX IF NOT EXISTS access_log_case ON access_log (case_id, at)",
    "CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN RAISE EXCEPTION 'access_log is append-only'; END $$",
    "CREATE OR REPLACE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log"
    " FOR EACH ROW EXECUTE FUNCTION access_log_append_only()",
]


def create_table(database: Database) -> None:
    with database.transaction() as cur:
        for statement in _POSTGRES if database.kind == "postgres" else _SQLITE:
            cur.execute(statement)


def record(principal: Principal, view: str, case_id: Any = None, filters: dict | None = None,
           redacted: bool | None = None, database: Database | None = None) -> None:
    """Write one read. `view` names what was read (`current`, `version`, `as_of`,
    `referral`, `return`, `list`, `history`...); `filters` holds the list query's
    filters (codes only: a name search is logged as `q: true`, not its text)."""
    database = database or current_app.extensions["casetrail.database"]
    database.write("INSERT INTO access_log (at, sub, client_id, org, case_id, view, redacted, filters)"
                   " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                   (datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z"),
                    principal.sub, principal.client_id, principal.org,
                    str(case_id) if case_id is not None else None, view, redacted,
                    json.dumps(filters, sort_keys=True, default=str) if filters is not None else None))


def entries(database: Database, case_id: Any = None) -> list[dict]:
    """The rows, oldest first (for the audit endpoint and tests)."""
    sql = "SELECT id, at, sub, client_id, org, case_id, view, redacted, filters FROM access_log"
    params: tuple = ()
    if case_id is not None:
        sql, params = sql + " WHERE case_id = %s", (str(case_id),)
    with database.transaction() as cur:
        rows = cur.execute(sql + " ORDER BY id", params).fetchall()
    keys = ("id", "at", "sub", "client_id", "org", "case_id", "view", "redacted", "filters")
    return [{**dict(zip(keys, row)), "redacted": None if row[7] is None else bool(row[7]),
             "filters": json.loads(row[8]) if row[8] else None} for row in rows]
