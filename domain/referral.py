"""The referral stage: a case referred to another organisation for a service.

Lifecycle: made (pending) -> accepted -> completed; pending -> declined or
withdrawn. Rule 6 decides who may act; rule 5 decides whether personal data
travels with it.
"""
from __future__ import annotations

from uuid import uuid4

from eventsourcing.domain import Aggregate, event

from domain import errors, rules
from domain.actor import Actor
from domain.vocabulary import REFERRAL_SERVICES


class Referrals(Aggregate):
    def refer(self, actor: Actor, to_org: str, service: str, share_personal_data: bool = False,
              legal_basis: str | None = None, effective_at: str | None = None) -> str:
        rules.check_accepts_commands(self)
        if service not in REFERRAL_SERVICES:
            raise errors.InvalidTransition(f"unknown referral service {service!r}")
        if to_org == actor.org:
            raise errors.InvalidTransition("a case cannot be referred to the referring organisation")
        if share_personal_data:
            rules.check_referral_sharing(self, to_org, legal_basis)
        referral_id = str(uuid4())
        self._referral_made(actor.as_dict(), referral_id, to_org, service, share_personal_data,
                            legal_basis, effective_at)
        return referral_id

    @event("ReferralMade")
    def _referral_made(self, actor: dict, referral_id: str, to_org: str, service: str,
                       share_personal_data: bool, legal_basis: str | None,
                       effective_at: str | None) -> None:
        self.referrals[referral_id] = {
            "id": referral_id, "from_org": actor["org"], "to_org": to_org, "service": service,
            "status": "pending", "share_personal_data": share_personal_data,
            "legal_basis": legal_basis, "reason": None,
        }
        self.stage = "referral"

    def referral(self, referral_id: str) -> dict:
        try:
            return self.referrals[referral_id]
        except KeyError:
            raise errors.UnknownReferral(f"no referral {referral_id} on this case") from None

    def accept_referral(self, actor: Actor, referral_id: str, effective_at: str | None = None) -> None:
        referral = self._pending_referral_for_receiver(actor, referral_id)
        self._referral_accepted(actor.as_dict(), referral["id"], effective_at)

    @event("ReferralAccepted")
    def _referral_accepted(self, actor: dict, referral_id: str, effective_at: str | None) -> None:
        self.referrals[referral_id]["status"] = "accepted"

    def decline_referral(self, actor: Actor, referral_id: str, reason: str,
                         effective_at: str | None = None) -> None:
        referral = self._pending_referral_for_receiver(actor, referral_id)
        self._referral_declined(actor.as_dict(), referral["id"], reason, effective_at)

    @event("ReferralDeclined")
    def _referral_declined(self, actor: dict, referral_id: str, reason: str, effective_at: str | None) -> None:
        self.referrals[referral_id].update(status="declined", reason=reason)

    def complete_referral(self, actor: Actor, referral_id: str, outcome: str | None = None,
                          effective_at: str | None = None) -> None:
        rules.check_accepts_commands(self)
        referral = self.referral(referral_id)
        rules.check_referral_receiver(referral, actor)
        if referral["status"] != "accepted":
            raise errors.InvalidTransition(f"only an accepted referral can be completed (it is {referral['status']})")
        self._referral_completed(actor.as_dict(), referral_id, outcome, effective_at)

    @event("ReferralCompleted")
    def _referral_completed(self, actor: dict, referral_id: str, outcome: str | None,
                            effective_at: str | None) -> None:
        self.referrals[referral_id].update(status="completed", reason=outcome)

    def withdraw_referral(self, actor: Actor, referral_id: str, reason: str | None = None,
                          effective_at: str | None = None) -> None:
        rules.check_accepts_commands(self)
        referral = self.referral(referral_id)
        rules.check_referral_sender(referral, actor)
        if referral["status"] != "pending":
            raise errors.InvalidTransition(f"only a pending referral can be withdrawn (it is {referral['status']})")
        self._referral_withdrawn(actor.as_dict(), referral_id, reason, effective_at)

    @event("ReferralWithdrawn")
    def _referral_withdrawn(self, actor: dict, referral_id: str, reason: str | None,
                            effective_at: str | None) -> None:
        self.referrals[referral_id].update(status="withdrawn", reason=reason)

    def _pending_referral_for_receiver(self, actor: Actor, referral_id: str) -> dict:
        rules.check_accepts_commands(self)
        referral = self.referral(referral_id)
        rules.check_referral_receiver(referral, actor)
        if referral["status"] != "pending":
            raise errors.InvalidTransition(f"the referral is {referral['status']}, not pending")
        return referral

    def shares_personal_data_with(self, org: str) -> bool:
        """Whether an accepted referral lets `org` see personal data now: consent
        withdrawn later stops the sharing (rule 5)."""
        for referral in self.referrals.values():
            if referral["to_org"] != org or referral["status"] not in ("accepted", "completed"):
                continue
            if not referral["share_personal_data"]:
                continue
            if referral["legal_basis"] == "vital_interest" or self.has_consent("data_sharing", org):
                return True
        return False
