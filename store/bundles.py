"""A case's history exported as a signed bundle that verifies offline: the stored
rows exactly as they are (ciphertext of personal values included, so the bundle
carries no readable personal data), and a JWS over the case id, head version and
head hash. The verifier recomputes the chain from the rows; the signed head hash
then vouches for every byte of every row."""
from __future__ import annotations

import base64
import time
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from store import sealing, signing
from store.integrity import verify_case

TYP = "casetrail-case-bundle+jws"
FORMAT = "casetrail.case-bundle.v1"


class NothingToExport(LookupError):
    pass


def export_case(cases: Any, signing_keys: Any, case_id: UUID, issuer: str) -> dict:
    rows = cases.recorder.select_events(case_id)
    if not rows:
        raise NothingToExport(str(case_id))
    report = verify_case(cases, case_id)
    if not report.valid:
        # Signing a broken history would launder the break.
        raise ValueError(f"case {case_id} fails verification at version {report.first_bad_version}")
    payload = {"iss": issuer, "iat": int(time.time()), "case_id": str(case_id),
               "version": report.head_version, "head_hash": report.head_hash}
    token, jwk = signing.sign(signing_keys, payload, TYP)
    return {
        "format": FORMAT, "case_id": str(case_id),
        "events": [{"version": r.originator_version, "topic": r.topic,
                    "state": base64.b64encode(bytes(r.state)).decode()} for r in rows],
        "signature": token, "jwk": jwk,
    }


def verify_bundle(bundle: dict, jwks: dict | None = None) -> list[str]:
    """Problems with a bundle, needing nothing but the bundle (and a pinned JWKS)."""
    try:
        payload = signing.verify(bundle["signature"], signing.trusted_keys(bundle, jwks), TYP)
    except (signing.BadSignature, KeyError) as exc:
        return [f"bundle: {exc}"]
    case_id = payload["case_id"]
    try:
        rows = [SimpleNamespace(originator_id=case_id, originator_version=int(e["version"]), topic=e["topic"],
                                state=base64.b64decode(e["state"])) for e in bundle["events"]]
    except (KeyError, TypeError, ValueError):
        return ["bundle: events are malformed"]
    report = sealing.verify_rows(rows)
    problems = []
    if bundle.get("case_id") != case_id:
        problems.append("bundle: case id differs from the signed one")
    if not report.valid:
        problems.append(f"case {case_id}: chain broken at version {report.first_bad_version}")
    elif report.head_version != payload["version"] or report.head_hash != payload["head_hash"]:
        problems.append(f"case {case_id}: events differ from the signed head (version {payload['version']})")
    return problems
