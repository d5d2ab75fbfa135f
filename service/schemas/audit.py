"""Request and response schemas of history, integrity, checkpoints, access log and erasure."""
from __future__ import annotations

from marshmallow import fields, validate

from service.schemas.common import Out, Strict

HASH = {"description": "SHA-256, hex", "pattern": "^[0-9a-f]{64}$"}


class PageQuery(Strict):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500),
                           metadata={"description": "page size, 1-500 (default 50)"})
    cursor = fields.String(validate=validate.Regexp(r"^[0-9]{1,18}$", error="not a cursor given by this API"),
                           metadata={"description": "`next_cursor` of the previous page, as given"})


class HistoryActor(Out):
    sub = fields.String()
    org = fields.String()
    client_id = fields.String(allow_none=True)


class HistoryEvent(Out):
    version = fields.Integer()
    type = fields.String(metadata={"description": "event type, e.g. CaseOpened; `unreadable` for a row "
                                                  "that no longer decodes (see integrity)"})
    recorded_at = fields.String(allow_none=True, metadata={"description": "when it was stored (RFC 3339)"})
    effective_at = fields.String(allow_none=True, metadata={"description": "when the caller says it happened"})
    actor = fields.Nested(HistoryActor, allow_none=True)
    data = fields.Dict(allow_none=True, metadata={
        "description": "the event's fields; personal ones `[redacted]` for callers without access to "
                       "personal data, `[erased]` once the case was erased"})
    hash = fields.String(allow_none=True, metadata=HASH)
    prev_hash = fields.String(allow_none=True, metadata={**HASH, "description": "the previous event's hash; "
                                                         "64 zeros before the first"})


class HistoryPage(Out):
    items = fields.List(fields.Nested(HistoryEvent))
    next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page"})


class IntegrityOut(Out):
    valid = fields.Boolean()
    events = fields.Integer(metadata={"description": "events checked (up to and including the first bad one)"})
    head_hash = fields.String(allow_none=True, metadata={**HASH, "description": "hash of the last good event"})
    first_bad_version = fields.Integer(allow_none=True)


class CheckpointOut(Out):
    id = fields.String()
    created_at = fields.String()
    created_by = fields.String()
    position = fields.Integer(metadata={"description": "notification-log position the checkpoint covers"})
    cases = fields.Integer()
    events = fields.Integer()
    jws = fields.String(metadata={"description": "compact JWS (ES256, typ casetrail-checkpoint+jws) over "
                                                 "{iss, iat, position, events, cases, heads: {case id: "
                                                 "[version, hash]}}"})
    jwk = fields.Dict(metadata={"description": "the signing key (public); compare with the JWKS"})


class AccessLogQuery(PageQuery):
    case_id = fields.UUID()
    actor = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "token `sub`"})
    from_ = fields.AwareDateTime(data_key="from", metadata={"description": "reads at or after (RFC 3339)"})
    to = fields.AwareDateTime(metadata={"description": "reads before (RFC 3339)"})


class AccessLogEntry(Out):
    id = fields.Integer()
    at = fields.String()
    sub = fields.String()
    client_id = fields.String(allow_none=True)
    org = fields.String()
    case_id = fields.String(allow_none=True)
    view = fields.String()
    redacted = fields.Boolean(allow_none=True)
    filters = fields.Dict(allow_none=True)
    owner_org = fields.String(allow_none=True, metadata={"description": "the org owning the case when it was read"})


class AccessLogPage(Out):
    items = fields.List(fields.Nested(AccessLogEntry))
    next_cursor = fields.String(allow_none=True)


class Erasure(Strict):
    reason = fields.String(validate=validate.Length(min=1, max=500),
                           metadata={"description": "why (kept in the history: no personal data here)"})
