"""The return stage: voluntary, assisted voluntary or forced, initiated then
completed or cancelled. The rules are checked at both ends, because the facts
may change between the two (a claim lodged, a permit granted, consent withdrawn)."""
from __future__ import annotations

from datetime import date
from uuid import uuid4

from eventsourcing.domain import Aggregate, event

from domain import errors, rules
from domain.actor import Actor
from domain.clock import today as _today
from domain.vocabulary import RETURN_KINDS


class Returns(Aggregate):
    def initiate_return(self, actor: Actor, kind: str, destination_country: str, planned_date: str,
                        effective_at: str | None = None, today: date | None = None,
                        reflection_days: int = rules.DEFAULT_REFLECTION_DAYS) -> str:
        rules.check_accepts_commands(self)
        if kind not in RETURN_KINDS:
            raise errors.InvalidTransition(f"unknown return kind {kind!r}")
        if any(r["status"] == "initiated" for r in self.returns.values()):
            raise errors.InvalidTransition("a return is already under way")
        rules.check_return_allowed(self, kind, today or _today(), reflection_days, actor.org)
        return_id = str(uuid4())
        self._return_initiated(actor.as_dict(), return_id, kind, destination_country, planned_date, effective_at)
        return return_id

    @event("ReturnInitiated")
    def _return_initiated(self, actor: dict, return_id: str, kind: str, destination_country: str,
                          planned_date: str, effective_at: str | None) -> None:
        self.returns[return_id] = {
            "id": return_id, "kind": kind, "destination_country": destination_country,
            "planned_date": planned_date, "status": "initiated", "org": actor["org"], "reason": None,
        }
        self.stage = "return"

    def return_(self, return_id: str) -> dict:
        try:
            return self.returns[return_id]
        except KeyError:
            raise errors.UnknownReturn(f"no return {return_id} on this case") from None

    def complete_return(self, actor: Actor, return_id: str, effective_at: str | None = None,
                        today: date | None = None,
                        reflection_days: int = rules.DEFAULT_REFLECTION_DAYS) -> None:
        ret = self._initiated_return(return_id)
        rules.check_return_allowed(self, ret["kind"], today or _today(), reflection_days, ret["org"])
        self._return_completed(actor.as_dict(), return_id, effective_at)

    @event("ReturnCompleted")
    def _return_completed(self, actor: dict, return_id: str, effective_at: str | None) -> None:
        self.returns[return_id]["status"] = "completed"

    def cancel_return(self, actor: Actor, return_id: str, reason: str | None = None,
                      effective_at: str | None = None) -> None:
        self._initiated_return(return_id)
        self._return_cancelled(actor.as_dict(), return_id, reason, effective_at)

    @event("ReturnCancelled")
    def _return_cancelled(self, actor: dict, return_id: str, reason: str | None, effective_at: str | None) -> None:
        self.returns[return_id].update(status="cancelled", reason=reason)

    def _initiated_return(self, return_id: str) -> dict:
        rules.check_accepts_commands(self)
        ret = self.return_(return_id)
        if ret["status"] != "initiated":
            raise errors.InvalidTransition(f"the return is {ret['status']}, not initiated")
        return ret
