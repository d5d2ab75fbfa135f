"""GET /cases (list from the views) and GET /stats/cases (counters): query and
response schemas. Unknown query parameters are refused (422): a mistyped filter
must not silently widen a list. (`q`, the name search, comes with its own issue.)"""
from __future__ import annotations

from marshmallow import fields, validate

from domain.vocabulary import CATEGORIES, STAGES, STATUSES
from projections.statistics import DIMENSIONS
from service.schemas.common import ORG_PATTERN, SUB_PATTERN, Out, Strict

MAX_LIMIT = 500


class CaseListQuery(Strict):
    stage = fields.String(validate=validate.OneOf(STAGES))
    status = fields.String(validate=validate.OneOf(STATUSES))
    category = fields.String(validate=validate.OneOf(sorted(CATEGORIES)))
    nationality = fields.String(validate=validate.Regexp(r"^([A-Z]{3}|STATELESS|UNKNOWN)$"),
                                metadata={"description": "ISO 3166-1 alpha-3, STATELESS or UNKNOWN"})
    assigned_to = fields.String(validate=validate.Regexp(SUB_PATTERN), metadata={"description": "assignee sub"})
    owner_org = fields.String(validate=validate.Regexp(ORG_PATTERN))
    updated_since = fields.AwareDateTime(metadata={"description": "cases changed at or after (RFC 3339)"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT),
                           metadata={"description": f"page size, 1 to {MAX_LIMIT} (default 50)"})
    cursor = fields.String(validate=validate.Length(max=512),
                           metadata={"description": "`next_cursor` of the previous page, as given"})


class EncounterSummary(Out):
    country = fields.String(allow_none=True)
    type = fields.String(allow_none=True)
    date = fields.String(allow_none=True)


class CaseSummary(Out):
    """A case as the list shows it: codes and dates only, never personal data."""
    id = fields.String()
    version = fields.Integer()
    stage = fields.String()
    status = fields.String()
    owner_org = fields.String()
    assignee = fields.String(allow_none=True)
    transfer_to = fields.String(allow_none=True)
    categories = fields.List(fields.String())
    nationality = fields.String(allow_none=True)
    sex = fields.String(allow_none=True)
    age_group = fields.String(allow_none=True)
    asylum_status = fields.String(allow_none=True)
    encounter = fields.Nested(EncounterSummary)
    opened_at = fields.String()
    updated_at = fields.String()


class CaseList(Out):
    items = fields.List(fields.Nested(CaseSummary))
    next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page"})


_MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="a month, YYYY-MM")


class _StatsQueryBase(Strict):
    group_by = fields.String(validate=validate.Regexp(r"^[a-z_]+(,[a-z_]+)*$"),
                             metadata={"description": "comma-separated dimensions: " + ", ".join(DIMENSIONS)})
    from_ = fields.String(data_key="from", validate=_MONTH, metadata={"description": "first month opened"})
    to = fields.String(validate=_MONTH, metadata={"description": "last month opened"})


# `<dimension>=<value>` filters, one per dimension.
StatsQuery = type("StatsQuery", (_StatsQueryBase,), {
    name: fields.String(validate=validate.Length(min=1, max=64), metadata={"description": f"only this {name}"})
    for name in DIMENSIONS})


class Stats(Out):
    k = fields.Integer(metadata={"description": "cells below k are suppressed"})
    total = fields.Integer(allow_none=True, metadata={
        "description": "cases matching the filters; null whenever any cell (or the total) is suppressed"})
    total_suppressed = fields.Boolean()
    rows = fields.List(fields.Dict(), metadata={
        "description": "one per combination of the group_by values that occurs: the values, and `count`, "
                       "or `count: null, suppressed: true`"})
