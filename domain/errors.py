"""Domain errors. Each rule of DESIGN.md has its own error; `rule` names the rule
and becomes the last segment of the problem type (`.../problems/<rule>`)."""


class DomainError(Exception):
    rule = "domain-error"
    title = "Domain rule violated"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class RuleViolation(DomainError):
    """A command refused by one of the case's rules (answered 409)."""


class NonRefoulementViolation(RuleViolation):
    rule = "non-refoulement"
    title = "Forced return forbidden by non-refoulement"


class ChildBestInterestsViolation(RuleViolation):
    rule = "child-best-interests"
    title = "Return of a child without a best-interests determination"


class TraffickingReflectionViolation(RuleViolation):
    rule = "trafficking-reflection-period"
    title = "Forced return during the recovery and reflection period"


class RegularisedStayViolation(RuleViolation):
    rule = "regularised-stay"
    title = "Forced return while a granted permit is valid"


class ConsentRequired(RuleViolation):
    rule = "consent-required"
    title = "Recorded informed consent or legal basis required"


class ReferralPartyViolation(RuleViolation):
    rule = "referral-parties"
    title = "Only the receiving organisation accepts, declines or completes; only the sender withdraws"


class CaseClosed(RuleViolation):
    rule = "case-closed"
    title = "Closed cases accept nothing but reopening"


class CaseErased(RuleViolation):
    rule = "case-erased"
    title = "Erased cases accept nothing"


class TransferAcceptanceRequired(RuleViolation):
    rule = "transfer-acceptance"
    title = "Ownership transfers need acceptance by the receiving organisation"


class InvalidTransition(RuleViolation):
    """A command that does not fit the case's current state (e.g. completing a
    referral that was never accepted)."""

    rule = "invalid-transition"
    title = "Command not allowed in the case's current state"


class UnknownReferral(DomainError):
    rule = "referral-not-found"
    title = "No such referral on this case"


class UnknownReturn(DomainError):
    rule = "return-not-found"
    title = "No such return on this case"


RULE_ERRORS = (
    NonRefoulementViolation,
    ChildBestInterestsViolation,
    TraffickingReflectionViolation,
    RegularisedStayViolation,
    ConsentRequired,
    ReferralPartyViolation,
    CaseClosed,
    CaseErased,
    TransferAcceptanceRequired,
    InvalidTransition,
)
