"""Building blocks shared by every request and response schema.

Error messages never quote the submitted value: a request body carries personal
data, and problem responses end up in partner logs.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pycountry
from marshmallow import RAISE, Schema, ValidationError, fields, validate

# A caller's clock may run a little ahead of ours; a fact "from the future" by
# less than this is accepted as now.
CLOCK_SKEW = timedelta(minutes=5)

COUNTRIES = tuple(sorted(c.alpha_3 for c in pycountry.countries))
NATIONALITIES = COUNTRIES + ("STATELESS", "UNKNOWN")
ORG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
SUB_PATTERN = r"^[^\s]{1,200}$"
INSTANT_PATTERN = r"^\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2}))?$"


class Strict(Schema):
    """Request bodies: an unknown field is an error (422), never silently dropped."""

    class Meta:
        unknown = RAISE


class Out(Schema):
    """Response bodies: only declared fields leave the server."""


def _utc_today() -> date:
    return datetime.now(timezone.utc).date()


def country(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(COUNTRIES, error="not an ISO 3166-1 alpha-3 country code"),
                         metadata={"description": "ISO 3166-1 alpha-3"}, **kwargs)


def nationality(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(NATIONALITIES, error="not an ISO 3166-1 alpha-3 code, "
                                                 "STATELESS or UNKNOWN"),
                         metadata={"description": "ISO 3166-1 alpha-3, STATELESS or UNKNOWN"}, **kwargs)


def one_of(choices, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(sorted(choices), error="not one of the allowed values"), **kwargs)


def text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def org(**kwargs) -> fields.String:
    return fields.String(validate=validate.Regexp(ORG_PATTERN, error="not an organisation code"),
                         metadata={"description": "organisation code"}, **kwargs)


class IsoDate(fields.Date):
    """A date loaded as its ISO string: events store strings, not date objects."""

    def __init__(self, *, past: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.past = past

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if self.past and day > _utc_today():
            raise ValidationError("must not be in the future")
        return day.isoformat()


_INSTANT = re.compile(INSTANT_PATTERN)


class EffectiveAt(fields.String):
    """When a reported fact happened: an RFC 3339 time (with offset) or a date,
    never in the future. Loaded as a UTC string so every reader sees one form."""

    default_error_messages = {"invalid": "not an RFC 3339 time or an ISO 8601 date",
                              "future": "must not be in the future"}

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("description", "when the fact took effect, if earlier than now: "
                                                     "RFC 3339 time or ISO 8601 date; not in the future")
        kwargs["metadata"].setdefault("pattern", INSTANT_PATTERN)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _INSTANT.match(value):
            raise self.make_error("invalid")
        if len(value) == 10:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise self.make_error("invalid") from None
            if day > _utc_today():
                raise self.make_error("future")
            return day.isoformat()
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise self.make_error("invalid") from None
        if moment.tzinfo is None or "T" not in value.upper():
            raise self.make_error("invalid")  # RFC 3339 needs the offset and the T
        moment = moment.astimezone(timezone.utc)
        if moment > datetime.now(timezone.utc) + CLOCK_SKEW:
            raise self.make_error("future")
        return moment.isoformat().replace("+00:00", "Z")


class Command(Strict):
    """Every command may report a past fact with `effective_at`."""

    effective_at = EffectiveAt(load_default=None)


class Problem(Out):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.Raw(),
                         metadata={"description": "validation messages by field"})
