"""Identification: opening a case, assessments (categories, best-interests
determination, trafficking identification), asylum, consent, notes, assignment."""
from __future__ import annotations

from datetime import date

import pytest

from domain import errors
from domain.actor import Actor
from domain.case import Case

ENCOUNTER = {"date": "2025-03-01", "country": "KZ", "type": "border"}
PERSON = {"given_name": "Amina", "family_name": "K."}

# Which asylum event may follow which status, written out here rather than read
# from domain.vocabulary, so a change there has to be made on purpose in both.
ASYLUM_ALLOWED = {
    "none": {"intention_expressed", "lodged"},
    "intention_expressed": {"lodged"},
    "lodged": {"recognized", "complementary_protection", "rejected", "rejected_final"},
    "rejected": {"recognized", "complementary_protection", "rejected_final"},
    "rejected_final": {"intention_expressed", "lodged"},
    "recognized": set(),
    "complementary_protection": {"lodged"},
}
ASYLUM_EVENTS = ("intention_expressed", "lodged", "recognized", "complementary_protection",
                 "rejected", "rejected_final")
PATH_TO = {
    "none": [], "intention_expressed": ["intention_expressed"], "lodged": ["lodged"],
    "rejected": ["lodged", "rejected"], "rejected_final": ["lodged", "rejected_final"],
    "recognized": ["lodged", "recognized"],
    "complementary_protection": ["lodged", "complementary_protection"],
}


# ---- opening -------------------------------------------------------------------
def test_opening_a_case_records_who_opened_it_and_what_was_found(officer):
    case = Case.open(officer, PERSON, ENCOUNTER, ["stranded_migrant", "medical_needs", "medical_needs"],
                     today=date(2025, 3, 1))

    opened = case.collect_events()
    assert [type(e).__name__ for e in opened] == ["CaseOpened"]
    assert opened[0].actor == {"sub": "officer-1", "org": "border-service", "client_id": "border-app"}
    assert opened[0].categories == ["medical_needs", "stranded_migrant"]
    assert opened[0].person == PERSON and opened[0].encounter == ENCOUNTER
    assert opened[0].trafficking_presumed_on is None


def test_an_opened_case_is_open_in_identification_and_owned_by_the_opening_organisation(officer):
    case = Case.open(officer, PERSON, ENCOUNTER, [], today=date(2025, 3, 1))

    assert (case.status, case.stage, case.owner_org) == ("open", "identification", "border-service")
    assert case.asylum_status == "none"
    assert case.version == 1


def test_opening_with_an_asylum_intention_starts_a_pending_claim(officer):
    case = Case.open(officer, PERSON, ENCOUNTER, ["asylum_seeker"], asylum_intention=True)

    assert case.collect_events()[0].asylum_intention is True
    assert case.asylum_status == "intention_expressed"


def test_opening_with_a_note_keeps_the_note_with_its_author(unhcr):
    case = Case.open(unhcr, PERSON, ENCOUNTER, [], notes="met at the crossing")

    assert case.notes == [{"by": "worker-1", "org": "unhcr", "text": "met at the crossing", "effective_at": None}]


def test_opening_with_an_unknown_category_is_refused(officer):
    with pytest.raises(errors.InvalidTransition) as refused:
        Case.open(officer, PERSON, ENCOUNTER, ["tourist"])

    assert refused.value.rule == "invalid-transition"


def test_opening_as_presumed_trafficking_victim_presumes_from_the_encounter_date(officer):
    case = Case.open(officer, PERSON, ENCOUNTER, ["presumed_trafficking_victim"], today=date(2025, 3, 9))

    assert case.collect_events()[0].trafficking_presumed_on == "2025-03-01"


def test_opening_as_trafficking_victim_without_an_encounter_date_presumes_from_today(officer):
    case = Case.open(officer, PERSON, {"country": "KZ"}, ["identified_trafficking_victim"],
                     today=date(2025, 3, 9))

    assert case.trafficking_presumed_on == "2025-03-09"


def test_opening_with_a_reported_effective_time_presumes_from_that_day(officer):
    case = Case.open(officer, PERSON, ENCOUNTER, ["presumed_trafficking_victim"],
                     effective_at="2025-02-20T08:00:00Z", today=date(2025, 3, 9))

    assert case.trafficking_presumed_on == "2025-02-20"


# ---- categories ----------------------------------------------------------------
def test_adding_categories_records_only_the_new_ones(open_case, unhcr, when):
    case = open_case(categories=["stranded_migrant"])

    with when(case) as recorded:
        case.add_categories(unhcr, ["stranded_migrant", "gbv_survivor", "disability"])

    assert recorded.names == ["CategoriesAdded"]
    assert recorded.only.categories == ["disability", "gbv_survivor"]
    assert recorded.only.actor["org"] == "unhcr"
    assert case.categories == ["disability", "gbv_survivor", "stranded_migrant"]


def test_adding_categories_the_case_already_has_records_nothing(open_case, unhcr, when):
    case = open_case(categories=["stranded_migrant"])

    with when(case) as recorded:
        case.add_categories(unhcr, ["stranded_migrant"])

    assert recorded == []


def test_adding_an_unknown_category_is_refused(open_case, unhcr, refused):
    case = open_case()

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.add_categories(unhcr, ["refugee", "tourist"])


def test_adding_a_trafficking_category_presumes_from_that_day(open_case, ngo, when):
    case = open_case(categories=["stranded_migrant"])

    with when(case) as recorded:
        case.add_categories(ngo, ["presumed_trafficking_victim"], today=date(2025, 4, 2))

    assert recorded.only.trafficking_presumed_on == "2025-04-02"
    assert case.trafficking_presumed_on == "2025-04-02"


def test_adding_a_second_trafficking_category_keeps_the_first_presumption_day(open_case, ngo, when):
    case = open_case(categories=["presumed_trafficking_victim"])

    with when(case) as recorded:
        case.add_categories(ngo, ["identified_trafficking_victim"], today=date(2025, 4, 2))

    assert recorded.only.trafficking_presumed_on is None
    assert case.trafficking_presumed_on == "2025-03-01"


def test_removing_categories_records_only_those_the_case_has(open_case, unhcr, when):
    case = open_case(categories=["refugee", "stateless"])

    with when(case) as recorded:
        case.remove_categories(unhcr, ["refugee", "disability"])

    assert recorded.names == ["CategoriesRemoved"]
    assert recorded.only.categories == ["refugee"]
    assert case.categories == ["stateless"]


def test_removing_categories_the_case_does_not_have_records_nothing(open_case, unhcr, when):
    case = open_case(categories=["stateless"])

    with when(case) as recorded:
        case.remove_categories(unhcr, ["refugee"])

    assert recorded == []


# ---- best interests and trafficking identification -----------------------------
def test_a_best_interests_determination_is_recorded_with_its_day(open_case, unhcr, when):
    case = open_case(categories=["unaccompanied_child"])

    with when(case) as recorded:
        case.determine_best_interests(unhcr, "family_reunification", today=date(2025, 3, 20))

    assert recorded.names == ["BestInterestsDetermined"]
    assert recorded.only.determined_on == "2025-03-20"
    assert case.best_interests == {"outcome": "family_reunification", "determined_on": "2025-03-20"}


def test_a_best_interests_determination_reported_late_keeps_the_day_it_happened(open_case, unhcr):
    case = open_case(categories=["separated_child"])

    case.determine_best_interests(unhcr, "return", effective_at="2025-03-10T10:00:00Z", today=date(2025, 3, 20))

    assert case.best_interests["determined_on"] == "2025-03-10"


def test_identifying_a_trafficking_victim_records_the_day_and_the_presumed_category(open_case, ngo, when):
    case = open_case(categories=["stranded_migrant"])

    with when(case) as recorded:
        case.identify_trafficking_victim(ngo, today=date(2025, 3, 5))

    assert recorded.names == ["TraffickingVictimIdentified"]
    assert recorded.only.identified_on == "2025-03-05"
    assert case.trafficking_identified_on == "2025-03-05"
    assert "presumed_trafficking_victim" in case.categories


# ---- asylum --------------------------------------------------------------------
@pytest.mark.parametrize("status,asylum_event", [
    (status, asylum_event) for status in ASYLUM_ALLOWED for asylum_event in ASYLUM_EVENTS
    if asylum_event in ASYLUM_ALLOWED[status]])
def test_an_asylum_event_that_may_follow_the_status_is_recorded(open_case, unhcr, when, status, asylum_event):
    case = open_case()
    for step in PATH_TO[status]:
        case.record_asylum(unhcr, step)

    with when(case) as recorded:
        case.record_asylum(unhcr, asylum_event, effective_at="2025-03-02")

    assert recorded.names == ["AsylumEventRecorded"]
    assert recorded.only.asylum_event == asylum_event
    assert case.asylum_status == asylum_event


@pytest.mark.parametrize("status,asylum_event", [
    (status, asylum_event) for status in ASYLUM_ALLOWED for asylum_event in ASYLUM_EVENTS
    if asylum_event not in ASYLUM_ALLOWED[status]])
def test_an_asylum_event_that_cannot_follow_the_status_is_refused(open_case, unhcr, refused, status,
                                                                  asylum_event):
    case = open_case()
    for step in PATH_TO[status]:
        case.record_asylum(unhcr, step)

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.record_asylum(unhcr, asylum_event)


def test_an_unknown_asylum_event_is_refused(open_case, unhcr, refused):
    case = open_case()

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.record_asylum(unhcr, "granted")


# ---- consent -------------------------------------------------------------------
def test_consent_given_to_an_organisation_is_recorded_for_that_purpose_only(open_case, unhcr, when):
    case = open_case()

    with when(case) as recorded:
        case.give_consent(unhcr, "data_sharing", "iom")

    assert recorded.names == ["ConsentGiven"]
    assert case.has_consent("data_sharing", "iom")
    assert not case.has_consent("voluntary_return", "iom")
    assert not case.has_consent("data_sharing", "ngo")


def test_withdrawing_given_consent_is_recorded_and_ends_it(open_case, unhcr, when):
    case = open_case()
    case.give_consent(unhcr, "voluntary_return", "iom")

    with when(case) as recorded:
        case.withdraw_consent(unhcr, "voluntary_return", "iom")

    assert recorded.names == ["ConsentWithdrawn"]
    assert not case.has_consent("voluntary_return", "iom")
    assert case.state()["consents"] == [{"purpose": "voluntary_return", "organisation": "iom", "given": False}]


def test_withdrawing_consent_that_was_never_given_is_refused(open_case, unhcr, refused):
    case = open_case()
    case.give_consent(unhcr, "data_sharing", "iom")

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.withdraw_consent(unhcr, "data_sharing", "ngo")


def test_withdrawing_consent_twice_is_refused(open_case, unhcr, refused):
    case = open_case()
    case.give_consent(unhcr, "data_sharing", "iom")
    case.withdraw_consent(unhcr, "data_sharing", "iom")

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.withdraw_consent(unhcr, "data_sharing", "iom")


def test_consent_can_be_given_again_after_withdrawal(open_case, unhcr):
    case = open_case()
    case.give_consent(unhcr, "data_sharing", "iom")
    case.withdraw_consent(unhcr, "data_sharing", "iom")

    case.give_consent(unhcr, "data_sharing", "iom")

    assert case.has_consent("data_sharing", "iom")


# ---- notes and assignment ------------------------------------------------------
def test_a_note_is_recorded_with_its_author_and_organisation(open_case, ngo, when):
    case = open_case()

    with when(case) as recorded:
        case.add_note(ngo, "needs an interpreter (Dari)", effective_at="2025-03-01T09:00:00Z")

    assert recorded.names == ["NoteAdded"]
    assert case.notes == [{"by": "worker-3", "org": "ngo", "text": "needs an interpreter (Dari)",
                           "effective_at": "2025-03-01T09:00:00Z"}]


def test_assigning_a_case_records_the_assignee(open_case, officer, when):
    case = open_case()

    with when(case) as recorded:
        case.assign(officer, "officer-7")

    assert recorded.names == ["CaseAssigned"]
    assert recorded.only.assignee == "officer-7"
    assert case.assignee == "officer-7"


def test_every_event_carries_the_actor_who_caused_it(open_case, officer, unhcr, ngo, when):
    case = open_case()

    with when(case) as recorded:
        case.add_categories(unhcr, ["stateless"])
        case.determine_best_interests(unhcr, "stay")
        case.identify_trafficking_victim(ngo)
        case.record_asylum(unhcr, "lodged")
        case.give_consent(officer, "data_sharing", "unhcr")
        case.add_note(ngo, "n")
        case.assign(officer, "officer-2")

    assert [e.actor["sub"] for e in recorded] == [
        "worker-1", "worker-1", "worker-3", "worker-1", "officer-1", "worker-3", "officer-1"]
    assert all(e.timestamp is not None for e in recorded)
