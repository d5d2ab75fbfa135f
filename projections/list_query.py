"""The case list read from the views: filters, visibility by the caller's org, and
keyset pagination over (updated_at, case_id), oldest change first, so a case that
changes while a client pages through moves to the end and is seen again, never
skipped. The cursor is opaque to clients (base64 of the last row's key)."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from auth.policy import listable_relationships
from projections.runner import utc_text
from store.database import Database

_COLUMNS = ("case_id", "version", "stage", "status", "owner_org", "assignee", "transfer_to", "nationality",
            "sex", "age_group", "encounter_country", "encounter_type", "encounter_date", "asylum_status",
            "opened_at", "updated_at")
# query filter -> view column (equality)
_EQUAL = {"stage": "stage", "status": "status", "nationality": "nationality", "assigned_to": "assignee",
          "owner_org": "owner_org"}


class BadCursor(ValueError):
    pass


def encode_cursor(updated_at: str, case_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([updated_at, case_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        updated_at, case_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not (isinstance(updated_at, str) and isinstance(case_id, str)):
            raise ValueError
        return updated_at, case_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("the cursor is not one this server gave out") from None


def list_cases(database: Database, principal: Any, filters: dict, limit: int,
               cursor: str | None = None) -> tuple[list[dict], str | None]:
    where, params = [], []
    for name, column in _EQUAL.items():
        if filters.get(name) is not None:
            where.append(f"s.{column} = %s")
            params.append(filters[name])
    if filters.get("category"):
        where.append("EXISTS (SELECT 1 FROM case_summary_categories c WHERE c.case_id = s.case_id"
                     " AND c.category = %s)")
        params.append(filters["category"])
    if filters.get("updated_since") is not None:
        where.append("s.updated_at >= %s")
        params.append(utc_text(filters["updated_since"]))
    if cursor:
        after_time, after_id = decode_cursor(cursor)
        where.append("(s.updated_at > %s OR (s.updated_at = %s AND s.case_id > %s))")
        params += [after_time, after_time, after_id]
    relationships = listable_relationships(principal)
    if relationships is not None:  # None: every case (auditors)
        if not relationships:
            return [], None
        where.append("EXISTS (SELECT 1 FROM case_access a WHERE a.case_id = s.case_id AND a.org = %s"
                     f" AND a.relationship IN ({', '.join(['%s'] * len(relationships))}))")
        params += [principal.org, *relationships]
    sql = (f"SELECT {', '.join('s.' + c for c in _COLUMNS)} FROM case_summaries s"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY s.updated_at, s.case_id LIMIT %s")
    with database.transaction() as cur:
        rows = [dict(zip(_COLUMNS, row)) for row in cur.execute(sql, [*params, limit + 1]).fetchall()]
        page, more = rows[:limit], len(rows) > limit
        categories: dict[str, list[str]] = {row["case_id"]: [] for row in page}
        if page:
            for case_id, category in cur.execute(
                    "SELECT case_id, category FROM case_summary_categories WHERE case_id IN"
                    f" ({', '.join(['%s'] * len(page))}) ORDER BY case_id, category",
                    [row["case_id"] for row in page]).fetchall():
                categories[case_id].append(category)
    items = [_item(row, categories[row["case_id"]]) for row in page]
    next_cursor = encode_cursor(page[-1]["updated_at"], page[-1]["case_id"]) if more else None
    return items, next_cursor


def _item(row: dict, categories: list[str]) -> dict:
    return {
        "id": row["case_id"], "version": row["version"], "stage": row["stage"], "status": row["status"],
        "owner_org": row["owner_org"], "assignee": row["assignee"], "transfer_to": row["transfer_to"],
        "categories": categories, "nationality": row["nationality"], "sex": row["sex"],
        "age_group": row["age_group"], "asylum_status": row["asylum_status"],
        "encounter": {"country": row["encounter_country"], "type": row["encounter_type"],
                      "date": row["encounter_date"]},
        "opened_at": row["opened_at"], "updated_at": row["updated_at"],
    }
