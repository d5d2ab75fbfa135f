"""GET /stats/cases: counts of cases by any dimensions, from the counters view."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import RAISE

from auth.policy import require_role, stats_countries
from projections.statistics import DIMENSIONS
from projections.stats_query import UnknownDimension, case_stats, parse_group_by
from service.api.common import problems
from service.authentication import current_principal
from service.errors import Problem
from service.schemas.case_list import Stats, StatsQuery

blp = Blueprint("stats", __name__, description="Statistics: aggregate counts, never an individual")


@blp.route("/stats/cases", methods=["GET"], endpoint="cases")
@blp.arguments(StatsQuery, location="query", unknown=RAISE)
@blp.response(200, Stats)
@problems(blp, (401, 403, 422))
@blp.doc(operationId="caseStats")
def stats_cases(query):
    """Counts of cases grouped by `group_by` (any of: stage, status, category,
    nationality, sex, age_group, encounter_country, encounter_type, owner_org,
    month_opened, referral_service, return_kind, asylum_status), for cases opened
    in the months `from`..`to` (YYYY-MM) and matching `<dimension>=<value>` filters.

    Multi-valued dimensions (category, referral_service, return_kind) count a case
    once per value it has (`none` when it has none). Cells below `k` are
    `{"count": null, "suppressed": true}`; whenever any cell is suppressed the
    `total` is withheld too, and no margins are published, so no suppressed cell
    can be recovered by subtraction from the response. An analyst whose token
    carries `countries` sees only those encounter countries. Served from counters:
    the cost does not grow with the number of cases.
    """
    principal = current_principal()
    require_role(principal, "stats.read")
    try:
        group_by = parse_group_by(query.get("group_by"))
    except UnknownDimension as exc:
        raise Problem(422, "validation-error", "Invalid query", str(exc), errors={"group_by": [str(exc)]}) from None
    filters = {name: query[name] for name in DIMENSIONS if name in query}
    k = current_app.extensions["casetrail.config"].stats_k
    return case_stats(current_app.extensions["casetrail.database"], group_by, filters, query.get("from_"),
                      query.get("to"), stats_countries(principal), k)
