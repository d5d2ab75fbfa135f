"""Opening a case, and the case as the API returns it."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from domain.vocabulary import CATEGORIES, ENCOUNTER_TYPES, SEXES
from service.schemas.common import (
    Command, IsoDate, Out, Strict, country, nationality, one_of, text,
)

DOCUMENT_TYPES = ("passport", "national_id", "travel_document", "birth_certificate", "refugee_id",
                  "residence_permit", "other")
CONTACT_KINDS = ("phone", "email", "address", "other")


class Document(Strict):
    type = one_of(DOCUMENT_TYPES, required=True)
    number = text(64, required=True)
    issuing_country = country()


class Contact(Strict):
    kind = one_of(CONTACT_KINDS, required=True)
    value = text(200, required=True)


class Person(Strict):
    # JSON Schema cannot say "one of these two"; the document gets it via openapi_extra.
    OPENAPI_EXTRA = {"anyOf": [{"required": ["date_of_birth"]}, {"required": ["age_estimate"]}]}

    given_name = text(200)
    family_name = text(200)
    sex = one_of(SEXES, required=True)
    date_of_birth = IsoDate(past=True, metadata={"description": "not in the future"})
    age_estimate = fields.Integer(validate=validate.Range(min=0, max=130))
    nationality = nationality(required=True)
    # The form of ISO 639-3 only: its local-use range (qaa-qtz) and new codes must pass.
    languages = fields.List(fields.String(validate=validate.Regexp(r"^[a-z]{3}$")),
                            validate=validate.Length(max=10), load_default=list,
                            metadata={"description": "ISO 639-3 codes"})
    documents = fields.List(fields.Nested(Document), validate=validate.Length(max=10), load_default=list)
    contacts = fields.List(fields.Nested(Contact), validate=validate.Length(max=10), load_default=list)

    @validates_schema
    def _age_known(self, data, **kwargs):
        if data.get("date_of_birth") is None and data.get("age_estimate") is None:
            raise ValidationError("date_of_birth or age_estimate is required", "date_of_birth")


class Encounter(Strict):
    date = IsoDate(past=True, required=True, metadata={"description": "not in the future"})
    country = country(required=True)
    place = text(200)
    type = one_of(ENCOUNTER_TYPES, required=True)


class OpenCase(Command):
    person = fields.Nested(Person, required=True)
    encounter = fields.Nested(Encounter, required=True)
    categories = fields.List(one_of(CATEGORIES), validate=validate.Length(max=len(CATEGORIES)),
                             load_default=list)
    asylum_intention = fields.Boolean(load_default=False)
    notes = text(10_000)


class CaseQuery(Strict):
    version = fields.Integer(validate=validate.Range(min=1), metadata={"description": "the state at this version"})
    as_of = fields.AwareDateTime(metadata={"description": "the state at this time (RFC 3339)"})

    @validates_schema
    def _one_past(self, data, **kwargs):
        if "version" in data and "as_of" in data:
            raise ValidationError("give version or as_of, not both", "as_of")


# ---- responses --------------------------------------------------------------
# Personal fields may come back as "[redacted]", so their types here are loose.

class ActorOut(Out):
    sub = fields.String()
    org = fields.String()
    client_id = fields.String(allow_none=True)


class PersonOut(Out):
    given_name = fields.String()
    family_name = fields.String()
    sex = fields.String()
    date_of_birth = fields.String(metadata={"description": "ISO date, or [redacted]"})
    age_estimate = fields.Integer()
    nationality = fields.String()
    languages = fields.List(fields.String())
    documents = fields.Raw(metadata={"description": "list of documents, or [redacted]"})
    contacts = fields.Raw(metadata={"description": "list of contacts, or [redacted]"})


class EncounterOut(Out):
    date = fields.String()
    country = fields.String()
    place = fields.String()
    type = fields.String()


class ConsentOut(Out):
    purpose = fields.String()
    organisation = fields.String()
    given = fields.Boolean()


class ReferralOut(Out):
    id = fields.String()
    from_org = fields.String()
    to_org = fields.String()
    service = fields.String()
    status = fields.String(metadata={"description": "pending, accepted, declined, completed or withdrawn"})
    share_personal_data = fields.Boolean()
    legal_basis = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class ReturnOut(Out):
    id = fields.String()
    kind = fields.String()
    destination_country = fields.String()
    planned_date = fields.String()
    status = fields.String(metadata={"description": "initiated, completed or cancelled"})
    org = fields.String()
    reason = fields.String(allow_none=True)


class BestInterestsOut(Out):
    outcome = fields.String()
    determined_on = fields.String()


class RegularizationOut(Out):
    pathway = fields.String()
    status = fields.String(metadata={"description": "applied, granted or refused"})
    valid_until = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class PermitOut(Out):
    pathway = fields.String()
    valid_until = fields.String()


class NoteOut(Out):
    by = fields.String()
    org = fields.String()
    text = fields.String(allow_none=True)
    effective_at = fields.String(allow_none=True)


class TransferOut(Out):
    from_org = fields.String()
    to_org = fields.String()
    reason = fields.String(allow_none=True)


class CaseOut(Out):
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "open, closed or erased"})
    stage = fields.String(required=True)
    owner_org = fields.String(required=True)
    assignee = fields.String(allow_none=True)
    opened_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    opened_by = fields.Nested(ActorOut)
    person = fields.Nested(PersonOut)
    age_group = fields.String(metadata={"description": "age group on the encounter date, recorded in clear "
                                                       "at opening (kept after erasure, for statistics)"})
    encounter = fields.Nested(EncounterOut)
    categories = fields.List(fields.String())
    asylum_status = fields.String()
    best_interests = fields.Nested(BestInterestsOut, allow_none=True)
    trafficking_identified_on = fields.String(allow_none=True)
    consents = fields.List(fields.Nested(ConsentOut))
    referrals = fields.List(fields.Nested(ReferralOut))
    regularization = fields.Nested(RegularizationOut, allow_none=True)
    permit = fields.Nested(PermitOut, allow_none=True, metadata={"description": "the last permit granted"})
    returns = fields.List(fields.Nested(ReturnOut))
    notes = fields.List(fields.Nested(NoteOut))
    transfer = fields.Nested(TransferOut, allow_none=True)
    closure_reason = fields.String(allow_none=True)
