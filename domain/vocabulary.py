"""The codes of the case (API.md): categories, services, kinds and statuses."""
from datetime import date

CATEGORIES = frozenset({
    "refugee", "asylum_seeker", "forced_migrant", "economic_migrant",
    "stranded_migrant", "presumed_trafficking_victim", "identified_trafficking_victim",
    "smuggled_migrant", "unaccompanied_child", "separated_child", "stateless",
    "undocumented_migrant", "medical_needs", "disability", "gbv_survivor",
    "older_person", "pregnant_or_lactating", "torture_survivor",
})
CHILD_CATEGORIES = frozenset({"unaccompanied_child", "separated_child"})
TRAFFICKING_CATEGORIES = frozenset({"presumed_trafficking_victim", "identified_trafficking_victim"})

REFERRAL_SERVICES = frozenset({
    "asylum_procedure", "child_protection", "counter_trafficking", "medical",
    "legal_aid", "psychosocial", "shelter", "family_tracing", "avrr", "livelihoods",
})
LEGAL_BASES = frozenset({"consent", "vital_interest"})
CONSENT_PURPOSES = frozenset({"data_sharing", "voluntary_return"})

RETURN_KINDS = frozenset({"voluntary", "assisted_voluntary", "forced"})
CONSENTED_RETURN_KINDS = frozenset({"voluntary", "assisted_voluntary"})

ASYLUM_EVENTS = (
    "intention_expressed", "lodged", "recognized", "complementary_protection",
    "rejected", "rejected_final",
)
# Which asylum event may follow which status ("none" before any claim). A final
# rejection may be followed by a subsequent claim; a rejection by an appeal's outcome.
ASYLUM_TRANSITIONS = {
    "none": {"intention_expressed", "lodged"},
    "intention_expressed": {"lodged"},
    "lodged": {"recognized", "complementary_protection", "rejected", "rejected_final"},
    "rejected": {"recognized", "complementary_protection", "rejected_final"},
    "rejected_final": {"intention_expressed", "lodged"},
    "recognized": set(),
    "complementary_protection": {"lodged"},
}
ASYLUM_PENDING = frozenset({"intention_expressed", "lodged", "rejected"})
ASYLUM_PROTECTED = frozenset({"recognized", "complementary_protection"})

REGULARIZATION_PATHWAYS = frozenset({
    "work_permit", "residence_permit", "family_reunification", "humanitarian",
    "study_permit", "statelessness_determination", "amnesty",
})

# Personal data (DESIGN.md): these fields of `person`, and the text of notes.
PERSONAL_PERSON_FIELDS = ("given_name", "family_name", "date_of_birth", "documents", "contacts")
# Where personal data sits in the events (event type -> paths into its state): these
# values are encrypted with the case key when stored, and redacted by role when shown.
PERSONAL_EVENT_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "CaseOpened": tuple(("person", name) for name in PERSONAL_PERSON_FIELDS) + (("notes",),),
    "NoteAdded": (("text",),),
}
ERASED = "[erased]"

SEXES = frozenset({"female", "male", "other", "unknown"})
ENCOUNTER_TYPES = frozenset({"border", "inland", "detention", "reception_centre", "outreach", "self_referral"})

STAGES = ("identification", "referral", "regularization", "return", "closed")
STATUSES = ("open", "closed", "erased")

# Age groups used for statistics: the person's age on the encounter date.
AGE_GROUPS = ((0, 4, "0-4"), (5, 11, "5-11"), (12, 17, "12-17"), (18, 24, "18-24"),
              (25, 59, "25-59"), (60, 200, "60+"))


def age_group_on(person: dict, on: str | None) -> str:
    """The person's age group on a day (the encounter): from the date of birth, or
    without a readable one, the age estimate."""
    try:
        born = date.fromisoformat(str(person["date_of_birth"])[:10])
        day = date.fromisoformat(str(on)[:10])
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        return age_group(age if age >= 0 else None)
    except (KeyError, ValueError, TypeError):
        estimate = person.get("age_estimate")
        return age_group(estimate if isinstance(estimate, int) else None)


def age_group(age: int | None) -> str:
    if age is None:
        return "unknown"
    for low, high, label in AGE_GROUPS:
        if low <= age <= high:
            return label
    return "unknown"
