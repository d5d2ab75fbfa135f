"""The Case aggregate: the case record joined with its stages.

Each part is its own module, split by stage as the rules grew: `case_record`
(opening, assessments, asylum, consent, notes, ownership, closure), `referral`,
`regularization` and `returns`. The rules they share are in `domain.rules`.
"""
from __future__ import annotations

from domain.case_record import CaseRecord
from domain.referral import Referrals
from domain.regularization import Regularization
from domain.returns import Returns


class Case(Referrals, Regularization, Returns, CaseRecord):
    def state(self) -> dict:
        """The case as the API shows it (before redaction by role)."""
        return {
            "id": str(self.id), "version": self.version, "status": self.status, "stage": self.stage,
            "owner_org": self.owner_org, "assignee": self.assignee,
            "opened_at": self.created_on.isoformat(), "updated_at": self.modified_on.isoformat(),
            "opened_by": self.opened_by, "person": self.person, "age_group": self.age_group, "encounter": self.encounter,
            "categories": list(self.categories), "asylum_status": self.asylum_status,
            "best_interests": self.best_interests,
            "trafficking_identified_on": self.trafficking_identified_on,
            "consents": [
                {"purpose": key.split(":", 1)[0], "organisation": key.split(":", 1)[1], "given": given}
                for key, given in sorted(self.consents.items())
            ],
            "referrals": sorted(self.referrals.values(), key=lambda r: r["id"]),
            "regularization": self.regularization, "permit": self.permit,
            "returns": sorted(self.returns.values(), key=lambda r: r["id"]),
            "notes": list(self.notes), "transfer": self.transfer,
            "closure_reason": self.closure_reason,
        }
