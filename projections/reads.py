"""Reads inside a batch transaction.

The runner's batch transaction may be pipelined (PostgreSQL: statements are sent
without waiting for their answers). Reading with `fetchall()` on the cursor that
also queued the batch's INSERT/UPDATEs sometimes returned an INSERT's status
instead of the rows (psycopg: "the last operation didn't produce records", seen at
20,000 cases in bench/projection_catchup.py). A read on a cursor of its own gets
its own result, in the same transaction, so it also sees the batch's own writes.
"""
from __future__ import annotations

from typing import Any


def rows(cur: Any, sql: str, params: tuple | list = ()) -> list[tuple]:
    driver = getattr(cur, "_cursor", None)
    if driver is None or getattr(cur, "_placeholder", "%s") != "%s":  # SQLite: no pipeline
        return cur.execute(sql, params).fetchall()
    with driver.connection.cursor() as own:
        own.execute(sql, params)
        return own.fetchall()
