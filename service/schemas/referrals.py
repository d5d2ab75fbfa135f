"""Referral-stage commands."""
from __future__ import annotations

from marshmallow import fields

from domain.vocabulary import LEGAL_BASES, REFERRAL_SERVICES
from service.schemas.cases import ReferralOut
from service.schemas.common import Command, one_of, org, text


class Referral(Command):
    to_org = org(required=True)
    service = one_of(REFERRAL_SERVICES, required=True)
    share_personal_data = fields.Boolean(load_default=False)
    legal_basis = one_of(LEGAL_BASES, metadata={"description": "vital_interest lets data travel without consent"})


class ReferralAcceptance(Command):
    pass


class ReferralDecline(Command):
    reason = text(1000, required=True)


class ReferralCompletion(Command):
    outcome = text(1000)


class ReferralWithdrawal(Command):
    reason = text(1000)


class CreatedReferral(ReferralOut):
    case_id = fields.String(required=True)
    case_version = fields.Integer(required=True)
