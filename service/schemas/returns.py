"""Return-stage commands, and a return as the API shows it."""
from __future__ import annotations

from marshmallow import fields

from domain.vocabulary import RETURN_KINDS
from service.schemas.cases import ReturnOut
from service.schemas.common import Command, IsoDate, country, one_of, text


class ReturnInitiation(Command):
    kind = one_of(RETURN_KINDS, required=True)
    destination_country = country(required=True)
    planned_date = IsoDate(required=True)


class ReturnCompletion(Command):
    pass


class ReturnCancellation(Command):
    reason = text(1000)


class CreatedReturn(ReturnOut):
    case_id = fields.String(required=True)
    case_version = fields.Integer(required=True)
