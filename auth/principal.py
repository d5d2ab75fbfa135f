"""The caller, as the access token describes it."""
from __future__ import annotations

from dataclasses import dataclass

ROLES = frozenset({"caseworker", "supervisor", "dpo", "auditor", "analyst", "admin"})


@dataclass(frozen=True)
class Principal:
    sub: str
    org: str
    roles: frozenset[str]
    client_id: str | None = None
    # An analyst's token may restrict statistics to some countries.
    countries: frozenset[str] | None = None

    def has_any(self, roles: frozenset[str]) -> bool:
        return bool(self.roles & roles)
