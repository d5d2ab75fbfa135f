"""A case's history (every stored event, with its seal) and its integrity."""
from __future__ import annotations

from flask_smorest import Blueprint

from application.cases import CaseNotFound
from auth.policy import access_to, access_to_unreadable_case, event_view_of, require_role
from service.api import cases
from service.api.common import ETAG_HEADER, etag, log_read, problems
from service.authentication import current_principal
from service.schemas.audit import HistoryPage, IntegrityOut, PageQuery
from store.history import history_page
from store.integrity import verify_case

blp = Blueprint("history", __name__, description="Cases: history and integrity (auditing)")
READ_ERRORS = (401, 403, 404, 422, 503)


def visible(case_id, use_case: str):
    """(case, access) for a case the caller may see. A tampered row may make the
    case impossible to replay to its head; then the policy is asked about the
    last version that still replays, so a broken case can still be examined; when
    none does, the case is None and the policy decides without it."""
    principal = current_principal()
    require_role(principal, use_case)
    try:
        case = cases().get_case(case_id)
    except CaseNotFound:
        raise
    except Exception:  # noqa: BLE001 - rows that no longer replay: deserialisation or order
        report = verify_case(cases(), case_id)
        if report is None:
            raise CaseNotFound(str(case_id)) from None
        good = (report.first_bad_version or 1) - 1
        if not good:
            return None, access_to_unreadable_case(principal, use_case, case_id)
        case = cases().get_case(case_id, version=good)
    return case, access_to(principal, use_case, case)


@blp.route("/cases/<uuid:case_id>/history", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, HistoryPage, headers=ETAG_HEADER)
@problems(blp, READ_ERRORS)
@blp.doc(operationId="getCaseHistory")
def history(query, case_id):
    """Every event of the case, oldest first, at most `limit` (max 500) a page:
    version, type, recorded_at, effective_at, actor, data, hash, prev_hash.
    Personal fields are redacted unless the caller may see personal data. Every
    read is written to the access log."""
    case, access = visible(case_id, "case.history")
    items, last = history_page(cases(), case_id, int(query.get("cursor") or 0), query["limit"])
    erased = case is not None and case.status == "erased"
    for item in items:
        item["data"] = event_view_of(access, item["type"], item["data"], erased)
    log_read("history", case, access, redacted=erased or not access.personal_data, case_id=case_id)
    page = {"items": items, "next_cursor": None if last is None else str(last)}
    return page, 200, etag(case.version if case is not None else 0)


@blp.route("/cases/<uuid:case_id>/integrity", methods=["GET"])
@blp.response(200, IntegrityOut, headers=ETAG_HEADER)
@problems(blp, READ_ERRORS)
@blp.doc(operationId="getCaseIntegrity")
def integrity(case_id):
    """Recompute the case's hash chain from the stored rows: `valid`, the number of
    events checked, the head hash, and the first version that fails (a changed,
    missing, swapped or inserted row). A truncated tail is only visible against a
    signed checkpoint (`casetrail verify --checkpoint`)."""
    case, access = visible(case_id, "case.integrity")
    report = verify_case(cases(), case_id)
    if report is None:
        raise CaseNotFound(str(case_id))
    log_read("integrity", case, access, redacted=True, case_id=case_id)
    return report.as_dict(), 200, etag(case.version if case is not None else 0)
