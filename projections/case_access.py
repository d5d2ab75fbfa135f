"""Which organisations may see which case, and through what: the list endpoint joins
this table by the caller's org instead of loading every case to ask the policy.

The rows are the policy's own (`auth.policy.org_relationships`) computed from the
facts kept here; which of them a caller may use is the policy's too
(`listable_relationships`). A test replays random workloads and checks, for every
case, org and role, that this table and the policy agree.
"""
from __future__ import annotations

from typing import Any

from auth.policy import org_relationships
from projections.runner import Projection, handles


class CaseAccess(Projection):
    name = "case_access"
    tables = ("case_access", "case_access_referrals", "case_access_cases")
    ddl = (
        "CREATE TABLE IF NOT EXISTS case_access ("
        " case_id TEXT NOT NULL, org TEXT NOT NULL, relationship TEXT NOT NULL,"
        " PRIMARY KEY (case_id, org, relationship))",
        "CREATE INDEX IF NOT EXISTS case_access_org ON case_access (org, relationship, case_id)",
        # The facts the relationships are derived from, kept so each event can
        # recompute its case's rows from scratch (simple, and exact on replay).
        "CREATE TABLE IF NOT EXISTS case_access_cases ("
        " case_id TEXT PRIMARY KEY, owner_org TEXT NOT NULL, transfer_to TEXT)",
        "CREATE TABLE IF NOT EXISTS case_access_referrals ("
        " case_id TEXT NOT NULL, referral_id TEXT NOT NULL, to_org TEXT NOT NULL, status TEXT NOT NULL,"
        " PRIMARY KEY (case_id, referral_id))",
    )

    @handles("CaseOpened")
    def _opened(self, cur: Any, e: Any) -> None:
        cur.execute("INSERT INTO case_access_cases (case_id, owner_org, transfer_to) VALUES (%s, %s, NULL)",
                    (str(e.originator_id), e.actor["org"]))
        self._recompute(cur, e.originator_id)

    @handles("TransferRequested")
    def _transfer_requested(self, cur: Any, e: Any) -> None:
        self._set_case(cur, e.originator_id, "transfer_to = %s", (e.to_org,))

    @handles("TransferAccepted")
    def _transfer_accepted(self, cur: Any, e: Any) -> None:
        self._set_case(cur, e.originator_id, "owner_org = transfer_to, transfer_to = NULL", ())

    @handles("TransferRejected")
    def _transfer_rejected(self, cur: Any, e: Any) -> None:
        self._set_case(cur, e.originator_id, "transfer_to = NULL", ())

    @handles("ReferralMade")
    def _referral_made(self, cur: Any, e: Any) -> None:
        cur.execute("INSERT INTO case_access_referrals (case_id, referral_id, to_org, status)"
                    " VALUES (%s, %s, %s, 'pending')", (str(e.originator_id), e.referral_id, e.to_org))
        self._recompute(cur, e.originator_id)

    @handles("ReferralAccepted")
    def _referral_accepted(self, cur: Any, e: Any) -> None:
        self._set_referral(cur, e, "accepted")

    @handles("ReferralDeclined")
    def _referral_declined(self, cur: Any, e: Any) -> None:
        self._set_referral(cur, e, "declined")

    @handles("ReferralCompleted")
    def _referral_completed(self, cur: Any, e: Any) -> None:
        self._set_referral(cur, e, "completed")

    @handles("ReferralWithdrawn")
    def _referral_withdrawn(self, cur: Any, e: Any) -> None:
        self._set_referral(cur, e, "withdrawn")

    # ---- helpers -------------------------------------------------------------
    def _set_case(self, cur: Any, case_id: Any, assignments: str, params: tuple) -> None:
        cur.execute(f"UPDATE case_access_cases SET {assignments} WHERE case_id = %s", (*params, str(case_id)))
        self._recompute(cur, case_id)

    def _set_referral(self, cur: Any, e: Any, status: str) -> None:
        cur.execute("UPDATE case_access_referrals SET status = %s WHERE case_id = %s AND referral_id = %s",
                    (status, str(e.originator_id), e.referral_id))
        self._recompute(cur, e.originator_id)

    # A case's rows are recomputed once per batch, at its end (in the batch's
    # transaction), from the facts as the batch left them: the same rows as a
    # recompute after each event, with two queries per batch instead of two per event.
    def begin(self, cur: Any) -> None:
        self._dirty: set[str] = set()

    def _recompute(self, cur: Any, case_id: Any) -> None:
        self._dirty.add(str(case_id))

    def flush(self, cur: Any, chunk: int = 500) -> None:
        dirty = sorted(self._dirty)
        for start in range(0, len(dirty), chunk):
            part = dirty[start:start + chunk]
            marks = ", ".join(["%s"] * len(part))
            facts = {case_id: (owner, transfer_to, []) for case_id, owner, transfer_to in cur.select(
                f"SELECT case_id, owner_org, transfer_to FROM case_access_cases WHERE case_id IN ({marks})", part)}
            for case_id, to_org, status in cur.select(
                    f"SELECT case_id, to_org, status FROM case_access_referrals WHERE case_id IN ({marks})", part):
                facts[case_id][2].append((to_org, status))
            cur.execute(f"DELETE FROM case_access WHERE case_id IN ({marks})", part)
            for case_id in part:
                for org, relationship in sorted(org_relationships(*facts[case_id])):
                    cur.execute("INSERT INTO case_access (case_id, org, relationship) VALUES (%s, %s, %s)",
                                (case_id, org, relationship))
        self._dirty = set()
