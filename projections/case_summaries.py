"""The case list view: one row per case with the fields the list filters on.

No personal data: names, date of birth, documents, contacts and notes never reach
this table (personal data is encrypted per case in the events and is shredded on
erasure; a copy here would survive the shredding). The age group comes from the
opening event, where the domain recorded it in clear.
"""
from __future__ import annotations

from typing import Any

from projections.runner import Projection, handles, utc_text

_COLUMNS = ("case_id", "version", "stage", "stage_before_closure", "status", "owner_org", "assignee",
            "transfer_to", "nationality", "sex", "age_group", "encounter_country",
            "encounter_type", "encounter_date", "asylum_status", "opened_at", "updated_at")


class CaseSummaries(Projection):
    name = "case_summaries"
    tables = ("case_summary_categories", "case_summaries")
    ddl = (
        "CREATE TABLE IF NOT EXISTS case_summaries ("
        " case_id TEXT PRIMARY KEY, version INTEGER NOT NULL, stage TEXT NOT NULL,"
        " stage_before_closure TEXT, status TEXT NOT NULL, owner_org TEXT NOT NULL, assignee TEXT,"
        " transfer_to TEXT, nationality TEXT, sex TEXT, age_group TEXT,"
        " encounter_country TEXT,"
        " encounter_type TEXT, encounter_date TEXT, asylum_status TEXT, opened_at TEXT NOT NULL,"
        " updated_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS case_summary_categories ("
        " case_id TEXT NOT NULL, category TEXT NOT NULL, PRIMARY KEY (case_id, category))",
        # Keyset pagination walks (updated_at, case_id); each filter has an index
        # that ends in the same pair, so a filtered page is an index range scan.
        "CREATE INDEX IF NOT EXISTS case_summaries_page ON case_summaries (updated_at, case_id)",
        "CREATE INDEX IF NOT EXISTS case_summaries_owner ON case_summaries (owner_org, updated_at, case_id)",
        "CREATE INDEX IF NOT EXISTS case_summaries_stage ON case_summaries (stage, updated_at, case_id)",
        "CREATE INDEX IF NOT EXISTS case_summaries_status ON case_summaries (status, updated_at, case_id)",
        "CREATE INDEX IF NOT EXISTS case_summaries_nat ON case_summaries (nationality, updated_at, case_id)",
        "CREATE INDEX IF NOT EXISTS case_summaries_assignee ON case_summaries (assignee, updated_at, case_id)",
        "CREATE INDEX IF NOT EXISTS case_summary_categories_cat ON case_summary_categories (category, case_id)",
    )

    # ---- the case record -----------------------------------------------------
    @handles("CaseOpened")
    def _opened(self, cur: Any, e: Any) -> None:
        person, encounter = e.person or {}, e.encounter or {}
        when = utc_text(e.timestamp)
        row = {
            "case_id": str(e.originator_id), "version": e.originator_version, "stage": "identification",
            "stage_before_closure": None, "status": "open", "owner_org": e.actor["org"], "assignee": None,
            "transfer_to": None, "nationality": person.get("nationality"), "sex": person.get("sex"),
            "age_group": e.age_group, "encounter_country": encounter.get("country"),
            "encounter_type": encounter.get("type"), "encounter_date": encounter.get("date"),
            "asylum_status": "intention_expressed" if e.asylum_intention else "none",
            "opened_at": when, "updated_at": when,
        }
        cur.execute(f"INSERT INTO case_summaries ({', '.join(_COLUMNS)}) VALUES"
                    f" ({', '.join(['%s'] * len(_COLUMNS))})", [row[c] for c in _COLUMNS])
        self._add_categories(cur, e.originator_id, e.categories)

    @handles("CategoriesAdded")
    def _categories_added(self, cur: Any, e: Any) -> None:
        self._add_categories(cur, e.originator_id, e.categories)
        self._touch(cur, e)

    @handles("TraffickingVictimIdentified")
    def _trafficking_identified(self, cur: Any, e: Any) -> None:
        self._add_categories(cur, e.originator_id, ["presumed_trafficking_victim"])
        self._touch(cur, e)

    @handles("CategoriesRemoved")
    def _categories_removed(self, cur: Any, e: Any) -> None:
        for category in e.categories:
            cur.execute("DELETE FROM case_summary_categories WHERE case_id = %s AND category = %s",
                        (str(e.originator_id), category))
        self._touch(cur, e)

    @handles("AsylumEventRecorded")
    def _asylum(self, cur: Any, e: Any) -> None:
        self._touch(cur, e, asylum_status=e.asylum_event)

    @handles("CaseAssigned")
    def _assigned(self, cur: Any, e: Any) -> None:
        self._touch(cur, e, assignee=e.assignee)

    @handles("TransferRequested")
    def _transfer_requested(self, cur: Any, e: Any) -> None:
        self._touch(cur, e, transfer_to=e.to_org)

    @handles("TransferAccepted")
    def _transfer_accepted(self, cur: Any, e: Any) -> None:
        # Mirrors the aggregate: the new owner, no pending transfer, no assignee.
        cur.execute("UPDATE case_summaries SET owner_org = transfer_to WHERE case_id = %s",
                    (str(e.originator_id),))
        self._touch(cur, e, transfer_to=None, assignee=None)

    @handles("TransferRejected")
    def _transfer_rejected(self, cur: Any, e: Any) -> None:
        self._touch(cur, e, transfer_to=None)

    @handles("CaseClosed")
    def _closed(self, cur: Any, e: Any) -> None:
        cur.execute("UPDATE case_summaries SET stage_before_closure = stage WHERE case_id = %s",
                    (str(e.originator_id),))
        self._touch(cur, e, stage="closed", status="closed")

    @handles("CaseReopened")
    def _reopened(self, cur: Any, e: Any) -> None:
        cur.execute("UPDATE case_summaries SET stage = COALESCE(stage_before_closure, 'identification')"
                    " WHERE case_id = %s", (str(e.originator_id),))
        self._touch(cur, e, status="open")

    @handles("CaseErased")
    def _erased(self, cur: Any, e: Any) -> None:
        self._touch(cur, e, status="erased")

    # ---- the stages ----------------------------------------------------------
    @handles("ReferralMade")
    def _referred(self, cur: Any, e: Any) -> None:
        self._touch(cur, e, stage="referral")

    @handles("RegularizationApplied")
    def _regularization(self, cur: Any, e: Any) -> None:
        self._touch(cur, e, stage="regularization")

    @handles("ReturnInitiated")
    def _return(self, cur: Any, e: Any) -> None:
        self._touch(cur, e, stage="return")

    # Events that change nothing listed here but the version and the time.
    @handles("BestInterestsDetermined", "ConsentGiven", "ConsentWithdrawn", "NoteAdded",
             "ReferralAccepted", "ReferralDeclined", "ReferralCompleted", "ReferralWithdrawn",
             "RegularizationGranted", "RegularizationRefused", "ReturnCompleted", "ReturnCancelled")
    def _other(self, cur: Any, e: Any) -> None:
        self._touch(cur, e)

    # ---- helpers -------------------------------------------------------------
    def _touch(self, cur: Any, e: Any, **changes: Any) -> None:
        changes.update(version=e.originator_version, updated_at=utc_text(e.timestamp))
        assignments = ", ".join(f"{column} = %s" for column in changes)
        cur.execute(f"UPDATE case_summaries SET {assignments} WHERE case_id = %s",
                    [*changes.values(), str(e.originator_id)])

    @staticmethod
    def _add_categories(cur: Any, case_id: Any, categories: list) -> None:
        for category in categories:
            cur.execute("INSERT INTO case_summary_categories (case_id, category) VALUES (%s, %s)"
                        " ON CONFLICT (case_id, category) DO NOTHING", (str(case_id), category))
