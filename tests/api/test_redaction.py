"""A referred organisation sees personal data only with the person's consent (or
the legal basis vital_interest); auditors never see it."""
from __future__ import annotations

REDACTED = "[redacted]"


def _referred_case(caseworker, api_as, share: bool, consent: bool, legal_basis=None):
    case = caseworker.open_case()
    if consent:
        caseworker.consent(case["id"], "data_sharing", "ngo")
    extra = {"share_personal_data": share, **({"legal_basis": legal_basis} if legal_basis else {})}
    referral = caseworker.refer(case["id"], "ngo", "shelter", **extra)
    assert referral.status_code == 201, referral.json
    ngo = api_as("worker", "ngo", "caseworker")
    accepted = ngo.post(f"/cases/{case['id']}/referrals/{referral.json['id']}/acceptance")
    assert accepted.status_code == 200
    return case, ngo, accepted.json


def _assert_redacted(state):
    person = state["person"]
    for field in ("given_name", "family_name", "date_of_birth", "documents"):
        assert person[field] == REDACTED, field
    assert all(note["text"] == REDACTED for note in state["notes"])
    assert person["nationality"] == "AFG" and person["sex"] == "male"  # not personal: kept for the work


def test_a_referred_org_without_consent_sees_the_case_redacted(caseworker, api_as):
    case, ngo, accepted = _referred_case(caseworker, api_as, share=False, consent=False)
    _assert_redacted(accepted)
    _assert_redacted(ngo.get(f"/cases/{case['id']}").json)
    assert caseworker.get(f"/cases/{case['id']}").json["person"]["given_name"] == "Aziz"


def test_a_referred_org_with_consent_sees_personal_data(caseworker, api_as):
    case, ngo, _ = _referred_case(caseworker, api_as, share=True, consent=True)
    assert ngo.get(f"/cases/{case['id']}").json["person"]["given_name"] == "Aziz"


def test_withdrawn_consent_stops_the_sharing(caseworker, api_as):
    case, ngo, _ = _referred_case(caseworker, api_as, share=True, consent=True)
    caseworker.consent(case["id"], "data_sharing", "ngo", given=False)
    _assert_redacted(ngo.get(f"/cases/{case['id']}").json)


def test_vital_interest_shares_without_consent(caseworker, api_as):
    case, ngo, _ = _referred_case(caseworker, api_as, share=True, consent=False, legal_basis="vital_interest")
    assert ngo.get(f"/cases/{case['id']}").json["person"]["given_name"] == "Aziz"


def test_a_pending_referral_shows_the_receiver_a_redacted_case(caseworker, api_as):
    case = caseworker.open_case()
    caseworker.consent(case["id"], "data_sharing", "ngo")
    caseworker.refer(case["id"], "ngo", "shelter", share_personal_data=True)
    _assert_redacted(api_as("worker", "ngo", "caseworker").get(f"/cases/{case['id']}").json)


def test_an_auditor_sees_every_case_redacted_at_any_version(caseworker, api_as):
    case = caseworker.open_case()
    auditor = api_as("aud", "oversight", "auditor")
    _assert_redacted(auditor.get(f"/cases/{case['id']}").json)
    _assert_redacted(auditor.get(f"/cases/{case['id']}?version=1").json)
