"""What every case view shares: the caller (actor, If-Match, the policy run on
the loaded case), the reply (redacted view, ETag), and the documentation of the
responses each operation can give."""
from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any, Iterable

from flask import current_app, request, url_for
from flask_smorest import Blueprint

from application import access_log
from application.cases import Caller, Outcome, Reading
from auth.policy import Access, access_after_command, view_of
from service import idempotency
from service.api import cases
from service.authentication import current_principal
from service.errors import Problem
from service.read_your_writes import MIN_POSITION_HEADER, POSITION_HEADER, position_headers
from service.schemas.cases import CaseOut
from service.schemas.common import Problem as ProblemSchema

_ETAG = re.compile(r'^"([0-9]{1,18})"$')

ETAG_HEADER = {"ETag": {"description": 'the case version, as `"<version>"`', "schema": {"type": "string"}}}
LOCATION_HEADER = {"Location": {"description": "where the created resource is", "schema": {"type": "string"}}}
POSITION_HEADER_DOC = {POSITION_HEADER: {
    "description": "the position of the command's last event in the log; send it back as "
                   f"`{MIN_POSITION_HEADER}` on `GET /cases` to read your own write from the views",
    "schema": {"type": "string", "pattern": "^[0-9]+$"}},
    "Idempotent-Replayed": {"description": "`true` when this is the stored response to an earlier request "
                                           "with the same Idempotency-Key (nothing was written)",
                            "schema": {"type": "string", "enum": ["true"]}}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string", "pattern": r'^("[0-9]{1,18}"|\*)$'},
            "description": 'one strong entity tag, `"<version>"`: the command runs only if the case is at '
                           'that version (else 412, nothing written); `*` matches any version. A weak tag '
                           'never matches (412); anything else, including a list of tags, is 400.'}
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False,
                   "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[!-~]+$"},
                   "description": "a repeat with the same key and body returns the first response and writes "
                                  "nothing (kept 24 h); the same key with another body is 422; while the first "
                                  "is still running, a duplicate waits up to 5 s, then gets 409 "
                                  "`idempotency-in-progress`"}

_DESCRIPTIONS = {
    400: "Malformed If-Match or Idempotency-Key header",
    401: "Missing or invalid access token",
    403: "The caller's role (or relationship to the case) does not allow this",
    404: "No such case, or a case the caller may not see",
    409: "Refused by a case rule (`type` names it), or a duplicate still in progress",
    412: "If-Match names another version of the case; nothing was written",
    413: "Body over 1 MiB",
    415: "Body is not JSON",
    422: "Invalid body or query (`errors` by field), or an Idempotency-Key reused with another body",
    429: "Too many writes from this client; retry after `Retry-After`",
    503: "The case is busy or the database is unavailable; retry after `Retry-After`",
}
READ_ERRORS = (401, 403, 404, 422, 503)
COMMAND_ERRORS = (400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 503)
OPEN_ERRORS = (400, 401, 403, 409, 413, 415, 422, 429, 503)


def command_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    """A blueprint of case endpoints: JSON bodies only, Idempotency-Key on every POST."""
    blp = Blueprint(name, import_name, description=description)
    blp.before_request(_json_bodies_only)
    idempotency.init_blueprint(blp)
    return blp


def _json_bodies_only() -> None:
    # Without this a form or text body would be read as "no fields" and answered
    # 422 for missing fields, hiding the real mistake.
    has_body = request.content_length or request.headers.get("Transfer-Encoding")
    if request.method == "POST" and has_body and not request.is_json:
        raise Problem(415, "unsupported-media-type", "Unsupported Media Type", "send application/json")


def problems(blp, codes: Iterable[int]):
    """Document the problem responses an operation can give."""
    def decorate(func):
        for code in codes:
            func = blp.alt_response(code, schema=ProblemSchema, content_type="application/problem+json",
                                    description=_DESCRIPTIONS.get(code, HTTPStatus(code).phrase))(func)
        return func
    return decorate


def command(blp, body, operation_id: str, *, status: int = 200, schema=CaseOut, headers: dict | None = None,
            links: dict | None = None, codes: Iterable[int] = COMMAND_ERRORS, if_match: bool = True,
            example: dict | None = None):
    """The decorators of a case command: body, reply, errors, headers, links."""
    def decorate(func):
        func = blp.arguments(body, required=bool(set(body().fields) - {"effective_at"}),
                             **({"example": example} if example else {}))(func)
        func = blp.response(status, schema, headers={**ETAG_HEADER, **POSITION_HEADER_DOC, **(headers or {})})(func)
        func = problems(blp, codes)(func)
        doc: dict[str, Any] = {"operationId": operation_id,
                               "parameters": [IF_MATCH, IDEMPOTENCY_KEY] if if_match else [IDEMPOTENCY_KEY]}
        if links:
            doc["responses"] = {status: {"links": links}}  # int, as flask-smorest keys them
        return blp.doc(**doc)(func)
    return decorate


def expected_version() -> int | None:
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    header = header.strip()
    if header.startswith("W/"):
        return -1  # RFC 9110 13.1.1: If-Match uses strong comparison; a weak tag never matches
    match = _ETAG.match(header)
    if not match:
        raise Problem(400, "invalid-if-match", "Invalid If-Match", 'send one entity tag, "<version>", or *')
    return int(match.group(1))


def caller(use_case: str, versioned: bool = True) -> Caller:
    """The caller of one command: its role is checked now, its relationship to
    the case when the case is loaded (a hidden case then answers 404)."""
    return Caller.of(current_principal(), use_case, expected_version() if versioned else None)


def readable(case_id, use_case: str = "case.read") -> Reading:
    """Load a case for reading, or 404 when the caller may not see it."""
    return cases().read(current_principal(), case_id, use_case)


def log_read(view: str, case, access: Access, redacted: bool | None = None, case_id=None) -> None:
    """Write a read of `case` (or of `case_id`, when no state of it replays) to the
    access log, with the org owning it then, before the reply leaves."""
    access_log.record(current_principal(), view, database=current_app.extensions["casetrail.database"],
                      case_id=case.id if case is not None else case_id,
                      owner_org=case.owner_org if case is not None else None,
                      redacted=not access.personal_data if redacted is None else redacted)


def case_reply(outcome: Outcome, status: int = 200, access: Access | None = None, headers: dict | None = None):
    case = outcome.case
    if access is None:  # a command's reply: what the caller could see before, and may still
        access = access_after_command(outcome.access, current_principal(), case)
    body = view_of(access, case.state())
    return body, status, {**etag(case.version), **position_headers(outcome.position), **(headers or {})}


def part_reply(case, part: dict, status: int = 200, headers: dict | None = None):
    """One referral or return of the case, with the case's id and version (and ETag)."""
    body = {**part, "case_id": str(case.id), "case_version": case.version}
    return body, status, {**etag(case.version), **(headers or {})}


def etag(version: int) -> dict:
    # Case bodies may hold personal data: no shared cache may keep them.
    return {"ETag": f'"{version}"', "Cache-Control": "no-store"}


def case_url(case_id) -> str:
    return url_for("cases.case", case_id=case_id)
