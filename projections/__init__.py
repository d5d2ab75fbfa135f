"""Read views built from the event store (see projections/runner.py)."""
from __future__ import annotations

from projections.case_access import CaseAccess
from projections.case_summaries import CaseSummaries
from projections.statistics import Statistics


def all_projections() -> list:
    """A fresh instance of every read model (they keep per-batch state)."""
    return [CaseSummaries(), CaseAccess(), Statistics()]


# The views GET /cases reads: read-your-writes waits for both.
LIST_VIEWS = ("case_summaries", "case_access")
