"""The one access policy: which roles may run which use case, which cases a caller
may see and through what relationship, and which fields of a case it receives.

Commands and reads both ask `require_role` (once per request) and `access_to` (on
the loaded case); `view_of` shapes what a read returns. The list (through the
`case_access` view, whose rows come from `org_relationships`), statistics
(`stats_countries`), the access log (`access_log_scope`) and a history that no
longer replays (`access_to_unreadable_case`) ask here too. Nothing else in the
code base decides access.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Any, Iterable

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


# ---- relationships: of a loaded case, and of the case_access view's rows ------
ACCEPTED_REFERRAL = ("accepted", "completed")


def org_relationships(owner_org: str, transfer_to: str | None,
                      referrals: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Every (org, relationship) a case's facts give: its owner, the receiving org
    of a pending transfer, and the receiving orgs of its referrals (`referrals`
    as (to_org, status)). Which of them a caller may use depends on its roles
    (`relationship`, `listable_relationships`)."""
    found = {(owner_org, "owner")}
    if transfer_to:
        found.add((transfer_to, "transfer_pending"))
    for to_org, status in referrals:
        if status in ACCEPTED_REFERRAL:
            found.add((to_org, "referral_accepted"))
        elif status == "pending":
            found.add((to_org, "referral_pending"))
    return found


def listable_relationships(principal: Principal) -> tuple[str, ...] | None:
    """The relationships through which `principal` may see (and list) a case, in
    the order `relationship` tries them; None: every case (auditors)."""
    if "auditor" in principal.roles:
        return None
    if not principal.has_any(CASEWORK | {"dpo"}):
        return ()  # analysts and admins never see an individual case
    if not principal.has_any(CASEWORK):
        return ("owner",)  # a dpo sees only its own org's cases
    relationships = ("owner", "referral_accepted", "transfer_pending", "referral_pending")
    # A pending transfer is answered by the receiving org's supervisor only.
    return tuple(r for r in relationships if r != "transfer_pending" or "supervisor" in principal.roles)


def relationship(principal: Principal, case: Any) -> Access | None:
    """How the caller relates to `case` (an aggregate with owner_org, referrals,
    transfer, status), or None when it may not see it at all."""
    allowed = listable_relationships(principal)
    if allowed is None:
        return Access("auditor", personal_data=False)
    held = {name for org, name in org_relationships(
        case.owner_org, case.transfer["to_org"] if case.transfer else None,
        ((r["to_org"], r["status"]) for r in case.referrals.values())) if org == principal.org}
    for name in allowed:
        if name in held:
            personal = name == "owner" or (
                name == "referral_accepted" and case.shares_personal_data_with(principal.org))
            return Access(name, personal_data=personal)
    return None


def access_to(principal: Principal, use_case: str, case: Any) -> Access:
    """What `principal` may see of `case` for `use_case` (its role already checked
    by `require_role`); a case it may not see at all raises CaseNotVisible, so it
    cannot tell it from a missing one."""
    access = relationship(principal, case)
    if access is None:
        raise CaseNotVisible(str(case.id))
    if use_case not in RELATIONSHIP_USE_CASES[access.relationship]:
        raise Forbidden(f"{use_case} is not allowed through {access.relationship}")
    return access


def authorize(principal: Principal, use_case: str, case: Any) -> Access:
    """`require_role` and `access_to` in one, for a caller checked only here."""
    require_role(principal, use_case)
    return access_to(principal, use_case, case)


def access_after_command(before: Access, principal: Principal, case: Any) -> Access:
    """What the caller may see of the case its command changed: never more than it
    could see before (a command must not widen a reply), nor than now."""
    after = relationship(principal, case)
    return Access(before.relationship, before.personal_data and bool(after and after.personal_data))


def access_to_unreadable_case(principal: Principal, use_case: str, case_id: Any) -> Access:
    """A case none of whose events replays (tampered rows) has no facts to judge
    by: only a caller whose access does not depend on them (an auditor) may look."""
    if listable_relationships(principal) is None and use_case in RELATIONSHIP_USE_CASES["auditor"]:
        return Access("auditor", personal_data=False)
    raise CaseNotVisible(str(case_id))


# ---- statistics and the access log ------------------------------------------
def stats_countries(principal: Principal) -> frozenset[str] | None:
    """The encounter countries whose counts `principal` may see (None: all). An
    analyst (a state agency) may be limited to its countries by its token."""
    return principal.countries if "analyst" in principal.roles else None


def access_log_scope(principal: Principal) -> str | None:
    """Whose reads `principal` may see in the access log: None for every entry
    (auditors), else the org whose cases they are (a dpo: its own org's)."""
    return None if "auditor" in principal.roles else principal.org


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
