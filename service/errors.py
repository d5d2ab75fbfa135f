"""The one place where errors become HTTP responses: problem+json (RFC 9457).

Domain rule violations are 409 with a `type` naming the rule; everything the
server did not expect is a 500 that says nothing about its internals.
"""
from __future__ import annotations

import logging
import sqlite3

import psycopg
import psycopg_pool
from eventsourcing.persistence import OperationalError as ESOperational
from flask import Flask, Response, current_app, json
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from application import idempotency
from application.cases import CaseNotFound, TooMuchContention, VersionMismatch
from auth.policy import CaseNotVisible, Forbidden
from auth.tokens import KeysUnavailable, TokenRejected
from domain import errors as domain_errors
from service import metrics
from service.hardening import retry_after_seconds

PROBLEM_BASE = "https://casetrail.example/problems/"
log = logging.getLogger("casetrail.errors")


class Problem(Exception):
    """An error the API raises on purpose, already in problem terms."""

    def __init__(self, status: int, name: str, title: str, detail: str | None = None,
                 errors: dict | None = None, headers: dict | None = None):
        super().__init__(detail or title)
        self.status, self.name, self.title, self.detail = status, name, title, detail
        self.errors, self.headers = errors, headers or {}


def problem_response(status: int, name: str, title: str, detail: str | None = None,
                     errors: dict | None = None, headers: dict | None = None) -> Response:
    body = {"type": PROBLEM_BASE + name, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _http_name(status: int) -> str:
    return {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
            405: "method-not-allowed", 406: "not-acceptable", 409: "conflict", 412: "precondition-failed",
            413: "payload-too-large", 415: "unsupported-media-type", 422: "validation-error",
            428: "precondition-required", 429: "too-many-requests", 503: "service-unavailable",
            }.get(status, "http-error")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        return problem_response(exc.status, exc.name, exc.title, exc.detail, exc.errors, exc.headers)

    @app.errorhandler(domain_errors.UnknownReferral)
    @app.errorhandler(domain_errors.UnknownReturn)
    def _unknown_part(exc: domain_errors.DomainError):
        return problem_response(404, exc.rule, exc.title, exc.detail)

    @app.errorhandler(domain_errors.DomainError)
    def _rule(exc: domain_errors.DomainError):
        metrics.count_rule_refusal(exc.rule)
        return problem_response(409, exc.rule, exc.title, exc.detail)

    @app.errorhandler(CaseNotFound)
    @app.errorhandler(CaseNotVisible)
    def _case_not_found(exc: Exception):
        # Both answer the same way: no oracle for the existence of a hidden case.
        return problem_response(404, "case-not-found", "No such case", "no case with this id")

    @app.errorhandler(TokenRejected)
    def _unauthenticated(exc: TokenRejected):
        log.info("token rejected: %s", exc.reason)
        metrics.count_auth_failure(exc.reason)
        # RFC 6750 s3.1: no error code when the request carried no token at all.
        challenge = 'Bearer realm="casetrail"'
        if exc.reason != "missing":
            challenge += f', error="invalid_token", error_description="{exc.description}"'
        return problem_response(401, "unauthorized", "Unauthorized", exc.description,
                                headers={"WWW-Authenticate": challenge})

    @app.errorhandler(KeysUnavailable)
    def _no_keys(exc: KeysUnavailable):
        log.warning("no token verification key available")
        return problem_response(503, "keys-unavailable", "Token keys unavailable",
                                "the token provider's keys cannot be fetched; try again shortly",
                                headers={"Retry-After": "5"})

    @app.errorhandler(Forbidden)
    def _forbidden(exc: Forbidden):
        return problem_response(403, "forbidden", "Forbidden", str(exc))

    @app.errorhandler(VersionMismatch)
    def _stale(exc: VersionMismatch):
        return problem_response(412, "precondition-failed", "The case changed since the version you sent",
                                str(exc))

    @app.errorhandler(TooMuchContention)
    def _busy(exc: TooMuchContention):
        return problem_response(503, "contention", "The case is busy", str(exc), headers={"Retry-After": "1"})

    @app.errorhandler(idempotency.KeyReused)
    def _key_reused(exc: idempotency.KeyReused):
        return problem_response(422, "idempotency-key-reused", "Idempotency key reused",
                                "this Idempotency-Key was used with another request")

    @app.errorhandler(idempotency.StillInProgress)
    def _key_in_progress(exc: idempotency.StillInProgress):
        return problem_response(409, "idempotency-in-progress", "A request with this key is in progress",
                                "retry after the first request with this Idempotency-Key finishes",
                                headers={"Retry-After": "1"})

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded):
        return problem_response(429, "too-many-requests", "Too many requests",
                                f"rate limit of {exc.description} reached; retry later",
                                headers={"Retry-After": str(retry_after_seconds(current_app))})

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        errors = None
        data = getattr(exc, "data", None) or {}
        # flask-smorest/webargs put validation messages under data["messages"].
        if "messages" in data:
            errors = _flatten_messages(data["messages"])
        headers = {}
        if getattr(exc, "valid_methods", None):  # keep Werkzeug's Allow on 405
            headers["Allow"] = ", ".join(exc.valid_methods)
        for key, value in (data.get("headers") or {}).items():
            headers[key] = value
        detail = exc.description if isinstance(exc.description, str) else None
        if errors is not None:
            detail = "the request is not valid"
        return problem_response(status, _http_name(status), exc.name, detail, errors, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if _is_database_unavailable(exc):
            log.warning("database unavailable: %s", type(exc).__name__)
            return problem_response(503, "database-unavailable", "The database is unavailable",
                                    "try again shortly", headers={"Retry-After": "2"})
        log.exception("unhandled error: %s", type(exc).__name__)
        return problem_response(500, "internal-error", "Internal Server Error",
                                "the error was logged; no detail is given")


def _flatten_messages(messages: dict) -> dict:
    # webargs nests by location ({"json": {...}}); the API reports fields only.
    if len(messages) == 1 and next(iter(messages)) in ("json", "query", "headers", "form", "path"):
        messages = next(iter(messages.values()))
    if not isinstance(messages, dict):  # e.g. ["Invalid JSON body."]: about the body as a whole
        messages = {"_body": messages}
    return messages


def _is_database_unavailable(exc: Exception) -> bool:
    unavailable = (psycopg.OperationalError, psycopg_pool.PoolTimeout, ESOperational, sqlite3.OperationalError)
    # A lost connection may arrive wrapped (e.g. a MapperDeserialisationError raised
    # from the OperationalError of fetching a case key): follow `raise ... from`.
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, unavailable):
            return True
        seen.add(id(exc))
        exc = exc.__cause__
    return False
