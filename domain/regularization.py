"""The regularization stage: an application for a pathway to legal stay, then a
decision (granted with its validity, or refused with a reason).

`regularization` is the latest application and its decision; `permit` is the last
permit granted. They are kept apart so that applying again (a renewal, another
pathway) or a refusal of that new application never forgets a permit that is still
valid: rule 4 reads `permit`."""
from __future__ import annotations

from datetime import date

from eventsourcing.domain import Aggregate, event

from domain import errors, rules
from domain.actor import Actor


class Regularization(Aggregate):
    def apply_for_regularization(self, actor: Actor, pathway: str, effective_at: str | None = None) -> None:
        rules.check_accepts_commands(self)
        if self.regularization and self.regularization["status"] == "applied":
            raise errors.InvalidTransition("a regularization application is already pending")
        self._regularization_applied(actor.as_dict(), pathway, effective_at)

    @event("RegularizationApplied")
    def _regularization_applied(self, actor: dict, pathway: str, effective_at: str | None) -> None:
        self.regularization = {"pathway": pathway, "status": "applied", "valid_until": None, "reason": None}
        self.stage = "regularization"

    def grant_regularization(self, actor: Actor, valid_until: str, effective_at: str | None = None) -> None:
        self._check_decidable()
        try:
            date.fromisoformat(valid_until)
        except ValueError:
            raise errors.InvalidTransition("valid_until is not an ISO date") from None
        self._regularization_granted(actor.as_dict(), valid_until, effective_at)

    @event("RegularizationGranted")
    def _regularization_granted(self, actor: dict, valid_until: str, effective_at: str | None) -> None:
        self.regularization = {**self.regularization, "status": "granted", "valid_until": valid_until}
        self.permit = {"pathway": self.regularization["pathway"], "valid_until": valid_until}

    def refuse_regularization(self, actor: Actor, reason: str, effective_at: str | None = None) -> None:
        self._check_decidable()
        self._regularization_refused(actor.as_dict(), reason, effective_at)

    @event("RegularizationRefused")
    def _regularization_refused(self, actor: dict, reason: str, effective_at: str | None) -> None:
        self.regularization = {**self.regularization, "status": "refused", "reason": reason}

    def _check_decidable(self) -> None:
        rules.check_accepts_commands(self)
        if not self.regularization or self.regularization["status"] != "applied":
            raise errors.InvalidTransition("no regularization application is pending a decision")
