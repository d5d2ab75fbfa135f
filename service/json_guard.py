"""Hostile JSON is refused at the edge, once, before any view, idempotency claim or
command sees it: 400 problem+json (service/errors.py), never a 500 from deep inside.

Found by tests/resilience/test_hostile_input.py, each of which answered 500:
- nesting a few thousand levels deep (RecursionError in the parser);
- an integer of more than 4,300 digits (Python's int limit, a ValueError the
  body parser does not catch);
- a lone surrogate escape ("\\ud800"), valid JSON but not Unicode: it passed the
  schema and failed when the event was encrypted.
A NUL in a query value is refused too (PostgreSQL text cannot hold it). Also
refused, because they cannot mean one thing: duplicate keys (parsers disagree
on which value wins, a way to smuggle a field past a proxy that checks the other)
and NaN/Infinity (not JSON, RFC 8259 s6).
"""
from __future__ import annotations

import json

from flask import Flask, request

from service.errors import Problem

MAX_DEPTH = 32  # the deepest real body (an opening) is 4 levels


def _pairs(pairs: list) -> dict:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key in an object")
    return dict(pairs)


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


def _check(value) -> None:
    # Iterative, so the check itself cannot run out of stack.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((k, depth) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            item.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError (a ValueError)


def parse_strictly(raw: bytes):
    return json.loads(raw.decode("utf-8"), object_pairs_hook=_pairs, parse_constant=_not_json)


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_hostile_json() -> None:
        # PostgreSQL text cannot hold NUL: a %00 in a filter reached the statistics
        # query as a DataError (500, found by schemathesis over HTTP).
        # 422 like every other invalid query value: it is what each read operation
        # documents (a 400 here was undocumented, found by schemathesis).
        bad = sorted({name for name, values in request.args.lists() if any("\x00" in v for v in values)})
        if bad:
            raise Problem(422, "validation-error", "Unprocessable Entity", "the request is not valid",
                          errors={name: ["may not contain NUL"] for name in bad})
        if not request.is_json or not request.content_length:
            return
        try:
            _check(parse_strictly(request.get_data(cache=True)))
        except RecursionError:
            raise Problem(400, "invalid-json", "Invalid JSON body", f"nested deeper than {MAX_DEPTH} levels") \
                from None
        except ValueError as exc:  # JSONDecodeError and UnicodeError are ValueErrors too
            detail = str(exc) if not isinstance(exc, (json.JSONDecodeError, UnicodeError)) else \
                "the body is not valid UTF-8 JSON"
            raise Problem(400, "invalid-json", "Invalid JSON body", detail) from None
