"""Erasure (crypto-shredding) of a case's personal data by its org's dpo."""
from __future__ import annotations

from application.cases import Outcome
from service.api import cases
from service.api.common import caller, case_reply, command, command_blueprint
from service.schemas.audit import Erasure
from service.schemas.cases import CaseOut

blp = command_blueprint("erasure", __name__, "Cases: erasure of personal data")


@blp.route("/cases/<uuid:case_id>/erasure", methods=["POST"])
@command(blp, Erasure, "eraseCase", schema=CaseOut)
def erase(data, case_id):
    """Destroy the case's key: every personal value in every stored event becomes
    unreadable (`[erased]`) while the history stays whole and verifiable, and the
    case still counts in statistics. The key is gone before the 2xx; afterwards
    the case accepts no command (409 `case-erased`), a second erasure included."""
    outcome = cases().erase_case(caller("case.erase"), case_id, (data or {}).get("reason"))
    # Reloaded: the reply is the erased view, `[erased]` for everyone (auth.policy.view_of).
    return case_reply(Outcome(cases().get_case(case_id), None, outcome.position, outcome.access))
