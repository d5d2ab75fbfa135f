"""Supervisor commands: assignment, transfer of ownership, closure, reopening."""
from __future__ import annotations

from marshmallow import validate, fields

from service.schemas.common import SUB_PATTERN, Command, org, text


class Assignment(Command):
    assignee = fields.String(required=True, validate=validate.Regexp(SUB_PATTERN),
                             metadata={"description": "the assignee's subject (sub)"})


class Transfer(Command):
    to_org = org(required=True)
    reason = text(1000)


class TransferAcceptance(Command):
    pass


class TransferRejection(Command):
    reason = text(1000)


class Closure(Command):
    reason = text(1000, required=True)


class Reopening(Command):
    reason = text(1000, required=True)
