"""Regularization-stage commands: an application, then its decision."""
from __future__ import annotations


from service.api import cases
from service.api.common import caller, case_reply, command, command_blueprint
from service.schemas.regularization import RegularizationApplication, RegularizationDecision

blp = command_blueprint("regularization", __name__, "Pathways to regular stay")

DECISION_LINK = {"Decide": {"operationId": "decideRegularization", "parameters": {"case_id": "$response.body#/id"}}}


@blp.route("/cases/<uuid:case_id>/regularization", methods=["POST"])
@command(blp, RegularizationApplication, "applyForRegularization", links=DECISION_LINK)
def apply(data, case_id):
    """Apply for regularization through a pathway."""
    return case_reply(cases().apply_for_regularization(caller("case.regularization"), case_id, **data))


@blp.route("/cases/<uuid:case_id>/regularization/decision", methods=["POST"])
@command(blp, RegularizationDecision, "decideRegularization")
def decide(data, case_id):
    """Decide the pending application: granted (with `valid_until`) or refused (with `reason`)."""
    who = caller("case.regularization")
    if data.pop("decision") == "granted":
        data.pop("reason", None)
        return case_reply(cases().grant_regularization(who, case_id, **data))
    return case_reply(cases().refuse_regularization(who, case_id, **data))
