"""Identification-stage commands: assessments, asylum events, consent, notes."""
from __future__ import annotations


from service.api import cases
from service.api.common import caller, case_reply, command, command_blueprint
from service.schemas.assessments import Assessment, AsylumEvent, Consent, Note

blp = command_blueprint("identification", __name__, "Assessments, asylum, consent and notes")


@blp.route("/cases/<uuid:case_id>/assessments", methods=["POST"])
@command(blp, Assessment, "assessCase")
def assess(data, case_id):
    """Record an assessment: categories added or removed, a best-interests
    determination, identification as a victim of trafficking (together or not at all)."""
    return case_reply(cases().assess(caller("case.assess"), case_id, **data))


@blp.route("/cases/<uuid:case_id>/asylum", methods=["POST"])
@command(blp, AsylumEvent, "recordAsylum")
def record_asylum(data, case_id):
    """Record an asylum event (intention expressed, lodged, recognized, ...)."""
    return case_reply(cases().record_asylum(caller("case.asylum"), case_id, data.pop("event"), **data))


@blp.route("/cases/<uuid:case_id>/consents", methods=["POST"])
@command(blp, Consent, "recordConsent")
def record_consent(data, case_id):
    """Record informed consent for a purpose and organisation, given or withdrawn."""
    record = cases().give_consent if data.pop("given") else cases().withdraw_consent
    return case_reply(record(caller("case.consent"), case_id, **data))


@blp.route("/cases/<uuid:case_id>/notes", methods=["POST"])
@command(blp, Note, "addNote")
def add_note(data, case_id):
    """Add a free-text note (personal data: encrypted, redacted by role)."""
    return case_reply(cases().add_note(caller("case.note"), case_id, **data))
