"""Regularization-stage commands."""
from __future__ import annotations

from marshmallow import ValidationError, validates_schema

from domain.vocabulary import REGULARIZATION_PATHWAYS
from service.schemas.common import Command, IsoDate, one_of, text


class RegularizationApplication(Command):
    pathway = one_of(REGULARIZATION_PATHWAYS, required=True)


class RegularizationDecision(Command):
    decision = one_of(("granted", "refused"), required=True)
    valid_until = IsoDate(metadata={"description": "last valid day of the permit; required when granted"})
    reason = text(1000, metadata={"description": "required when refused"})

    @validates_schema
    def _complete(self, data, **kwargs):
        if data.get("decision") == "granted" and not data.get("valid_until"):
            raise ValidationError("a granted permit needs valid_until", "valid_until")
        if data.get("decision") == "refused" and not data.get("reason"):
            raise ValidationError("a refusal needs a reason", "reason")
        if data.get("decision") == "refused" and data.get("valid_until"):
            raise ValidationError("a refusal has no validity", "valid_until")
