"""Identification-stage commands: assessments, asylum events, consent, notes."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from domain.vocabulary import ASYLUM_EVENTS, CATEGORIES, CONSENT_PURPOSES
from service.schemas.common import Command, one_of, org, text

# Codes rather than free text: a best-interests outcome must not carry the
# child's story into a field that is not treated as personal data.
BEST_INTERESTS_OUTCOMES = ("return", "local_integration", "resettlement", "family_reunification",
                           "alternative_care", "stay_pending_review")


def _categories() -> fields.List:
    return fields.List(one_of(CATEGORIES), validate=validate.Length(max=len(CATEGORIES)), load_default=list)


class Assessment(Command):
    categories_added = _categories()
    categories_removed = _categories()
    best_interests = one_of(BEST_INTERESTS_OUTCOMES, metadata={"description": "best-interests determination"})
    trafficking_identified = fields.Boolean(load_default=False)

    @validates_schema
    def _finds_something(self, data, **kwargs):
        if not (data.get("categories_added") or data.get("categories_removed")
                or data.get("best_interests") or data.get("trafficking_identified")):
            raise ValidationError("an assessment records at least one finding", "_schema")
        if set(data.get("categories_added") or ()) & set(data.get("categories_removed") or ()):
            raise ValidationError("a category cannot be added and removed at once", "categories_removed")


class AsylumEvent(Command):
    event = one_of(ASYLUM_EVENTS, required=True)


class Consent(Command):
    purpose = one_of(CONSENT_PURPOSES, required=True)
    organisation = org(required=True)
    given = fields.Boolean(required=True, metadata={"description": "true: given; false: withdrawn"})


class Note(Command):
    text = text(10_000, required=True)
