"""The one access policy: which roles may run which use case, which cases a caller
may see and through what relationship, and which fields of a case it receives.

Commands and reads both ask `authorize`; `view_of` shapes what a read returns.
Nothing else in the code base decides access.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from auth.principal import Principal
from domain.vocabulary import ERASED, PERSONAL_EVENT_PATHS, PERSONAL_PERSON_FIELDS

CASEWORK = frozenset({"caseworker", "supervisor"})  # a supervisor has caseworker rights

# use case -> roles that may ever call it
USE_CASES: dict[str, frozenset[str]] = {
    "case.open": CASEWORK,
    "case.list": CASEWORK | {"dpo", "auditor"},
    "case.search_by_name": CASEWORK,
    "case.read": CASEWORK | {"dpo", "auditor"},
    "case.history": CASEWORK | {"auditor"},
    "case.integrity": frozenset({"auditor", "supervisor"}),
    "case.assess": CASEWORK,
    "case.asylum": CASEWORK,
    "case.consent": CASEWORK,
    "case.note": CASEWORK,
    "case.refer": CASEWORK,
    "referral.accept": CASEWORK,
    "referral.decline": CASEWORK,
    "referral.complete": CASEWORK,
    "referral.withdraw": CASEWORK,
    "case.regularization": CASEWORK,
    "case.return": CASEWORK,
    "case.assign": frozenset({"supervisor"}),
    "case.transfer": frozenset({"supervisor"}),
    "transfer.respond": frozenset({"supervisor"}),
    "case.close": frozenset({"supervisor"}),
    "case.reopen": frozenset({"supervisor"}),
    "case.erase": frozenset({"dpo"}),
    "stats.read": frozenset({"analyst", "auditor", "supervisor"}),
    "audit.access_log": frozenset({"auditor", "dpo"}),
    "audit.checkpoint": frozenset({"auditor"}),
    "admin.manage": frozenset({"admin"}),
}

# relationship of the caller's org to a case -> use cases it allows there
_OWNER_USE_CASES = frozenset(u for u in USE_CASES if u.startswith(("case.", "referral.", "transfer."))) - {
    "transfer.respond"}
RELATIONSHIP_USE_CASES: dict[str, frozenset[str]] = {
    "owner": _OWNER_USE_CASES,
    # DESIGN.md: an accepted referral allows referral actions, notes and assessments.
    "referral_accepted": frozenset({"case.read", "case.note", "case.assess",
                                    "referral.accept", "referral.decline", "referral.complete"}),
    # The receiving org must see a pending referral to decide on it.
    "referral_pending": frozenset({"case.read", "referral.accept", "referral.decline"}),
    "transfer_pending": frozenset({"case.read", "transfer.respond"}),
    "auditor": frozenset({"case.read", "case.history", "case.integrity", "case.list"}),
}

REDACTED = "[redacted]"


class Forbidden(Exception):
    """The caller's role may not do this (403)."""


class CaseNotVisible(Exception):
    """The caller may not see this case: answered exactly like a missing one (404)."""


@dataclass(frozen=True)
class Access:
    relationship: str
    personal_data: bool


def require_role(principal: Principal, use_case: str) -> None:
    if not principal.has_any(USE_CASES[use_case]):
        raise Forbidden(f"the caller's roles may not {use_case}")


def relationship(principal: Principal, case: Any) -> Access | None:
    """How the caller relates to `case` (an aggregate with owner_org, referrals,
    transfer, status), or None when it may not see it at all."""
    if "auditor" in principal.roles:
        return Access("auditor", personal_data=False)
    if not principal.has_any(CASEWORK | {"dpo"}):
        return None  # analysts and admins never see an individual case
    if case.owner_org == principal.org:
        return Access("owner", personal_data=True)
    if "dpo" in principal.roles and not principal.has_any(CASEWORK):
        return None  # a dpo sees only its own org's cases
    referrals = [r for r in case.referrals.values() if r["to_org"] == principal.org]
    if any(r["status"] in ("accepted", "completed") for r in referrals):
        return Access("referral_accepted", personal_data=case.shares_personal_data_with(principal.org))
    if case.transfer and case.transfer["to_org"] == principal.org and "supervisor" in principal.roles:
        return Access("transfer_pending", personal_data=False)
    if any(r["status"] == "pending" for r in referrals):
        return Access("referral_pending", personal_data=False)
    return None


def authorize(principal: Principal, use_case: str, case: Any) -> Access:
    """Raise unless `principal` may run `use_case` on `case`; a case it may not see
    at all raises CaseNotVisible so it cannot tell it from a missing one."""
    require_role(principal, use_case)
    access = relationship(principal, case)
    if access is None:
        raise CaseNotVisible(str(case.id))
    if use_case not in RELATIONSHIP_USE_CASES[access.relationship]:
        raise Forbidden(f"{use_case} is not allowed through {access.relationship}")
    return access


def view_of(access: Access, state: dict) -> dict:
    """The case state as this caller may receive it."""
    if state.get("status") == "erased":
        # Whoever asks: the key is shredded, and a process that still holds it in
        # memory for a few seconds must not show what it could decrypt.
        return redact_personal(state, ERASED)
    if access.personal_data:
        return state
    return redact_personal(state)


def redact_personal(state: dict, marker: str = REDACTED) -> dict:
    state = deepcopy(state)
    person = state.get("person") or {}
    for name in PERSONAL_PERSON_FIELDS:
        if name in person:
            person[name] = marker
    for note in state.get("notes") or []:
        note["text"] = marker
    return state


def event_view_of(access: Access, event_type: str, data: dict | None, erased: bool = False) -> dict | None:
    """An event's data in a case history, as this caller may receive it."""
    paths = PERSONAL_EVENT_PATHS.get(event_type, ())
    if data is None or not paths or (access.personal_data and not erased):
        return data
    data = deepcopy(data)
    for path in paths:
        node = data
        for name in path[:-1]:
            node = node.get(name) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(path[-1]) is not None:
            node[path[-1]] = ERASED if erased else REDACTED
    return data
