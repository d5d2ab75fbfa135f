"""The vocabulary of the demo data set (application/demo): who meets whom, where.

Names are common given and family names of each nationality, combined at random:
the people are invented. Places are real Central Asian crossings and towns, so a
reader of the demo recognises the flows the Almaty Process discusses.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

# code -> (name, what it mostly does in the demo)
ORGANISATIONS = {
    "sms": "State Migration Service",
    "unhcr": "UNHCR Central Asia",
    "iom": "IOM Central Asia",
    "childhope": "Childhope Central Asia (child protection NGO)",
    "safeway": "Safe Way (counter-trafficking NGO)",
}

# nationality -> (weight, given names (male), given names (female), family names, languages)
NATIONALITIES = {
    "AFG": (22, ["Aziz", "Ahmad", "Farid", "Jawad", "Habib", "Sayed"], ["Mariam", "Zahra", "Fatima", "Nilofar", "Shabnam"],
            ["Karimi", "Ahmadi", "Rahimi", "Hakimi", "Sultani", "Noori"], ["prs", "pus"]),
    "TJK": (12, ["Rustam", "Firdavs", "Daler", "Sino"], ["Malika", "Nigora", "Zarina", "Madina"],
            ["Rahmonov", "Saidov", "Nazarov", "Safarov"], ["tgk", "rus"]),
    "UZB": (14, ["Bekzod", "Jasur", "Otabek", "Sardor"], ["Dilnoza", "Gulnora", "Shahnoza", "Feruza"],
            ["Karimov", "Tursunov", "Yusupov", "Rashidov"], ["uzb", "rus"]),
    "KGZ": (8, ["Azamat", "Nurlan", "Bakyt", "Emil"], ["Aigerim", "Cholpon", "Aizada", "Begimai"],
            ["Asanov", "Toktogulov", "Abdyldaev", "Mamytov"], ["kir", "rus"]),
    "TKM": (5, ["Merdan", "Serdar", "Dovlet"], ["Ogulgerek", "Aylar", "Jeren"],
            ["Annayev", "Berdiyev", "Orazov"], ["tuk", "rus"]),
    "IRN": (4, ["Reza", "Hossein", "Amir"], ["Leila", "Shirin", "Parisa"], ["Hosseini", "Moradi", "Jafari"], ["fas"]),
    "PAK": (5, ["Imran", "Bilal", "Usman"], ["Ayesha", "Sana", "Hina"], ["Khan", "Qureshi", "Malik"], ["urd", "pus"]),
    "CHN": (5, ["Erkin", "Abdulla", "Memet"], ["Gulnar", "Aynur", "Mihray"], ["Tursun", "Abliz", "Niyaz"], ["uig", "kaz"]),
    "RUS": (6, ["Alexei", "Dmitri", "Ilya"], ["Olga", "Natalia", "Irina"], ["Ivanov", "Sokolov", "Morozov"], ["rus"]),
    "SYR": (4, ["Omar", "Khaled", "Yusuf"], ["Rania", "Huda", "Amal"], ["Haddad", "Khalil", "Nasser"], ["ara"]),
    "SOM": (3, ["Abdi", "Mohamed", "Hassan"], ["Hodan", "Fadumo", "Sahra"], ["Warsame", "Farah", "Osman"], ["som"]),
    "IRQ": (3, ["Ali", "Mustafa", "Haider"], ["Zainab", "Noor", "Huda"], ["Al-Rubaie", "Kareem", "Jassim"], ["ara", "kur"]),
    "STATELESS": (6, ["Ruslan", "Timur", "Marat"], ["Alina", "Kamila", "Saule"], ["Ismailov", "Kasymov", "Umarov"],
                  ["rus"]),
    "UNKNOWN": (3, ["Ahmad", "Ali"], ["Fatima", "Amina"], ["Unknown"], []),
}

# (place, country where met, neighbour) — the crossing the person came through.
CROSSINGS = [
    ("Zhibek Zholy border crossing", "KAZ", "UZB"),
    ("Dostyk border crossing", "KAZ", "CHN"),
    ("Khorgos border crossing", "KAZ", "CHN"),
    ("Korday border crossing", "KAZ", "KGZ"),
    ("Dostuk border crossing", "KGZ", "UZB"),
    ("Ak-Jol border crossing", "KGZ", "KAZ"),
    ("Nizhny Panj border crossing", "TJK", "AFG"),
    ("Ishkashim bridge", "TJK", "AFG"),
    ("Termez / Hairatan Friendship Bridge", "UZB", "AFG"),
    ("Oybek border crossing", "UZB", "TJK"),
    ("Farap border crossing", "TKM", "UZB"),
    ("Serhetabat border crossing", "TKM", "AFG"),
]
INLAND_PLACES = [
    ("Almaty", "KAZ"), ("Astana", "KAZ"), ("Shymkent", "KAZ"), ("Bishkek", "KGZ"), ("Osh", "KGZ"),
    ("Dushanbe", "TJK"), ("Khujand", "TJK"), ("Tashkent", "UZB"), ("Samarkand", "UZB"), ("Ashgabat", "TKM"),
]
# encounter type -> weight; borders dominate, as they do in the flows described.
ENCOUNTER_TYPES = {"border": 50, "inland": 14, "detention": 10, "reception_centre": 12, "outreach": 8,
                   "self_referral": 6}

# Where each organisation mostly works (its offices), for cases it opens itself.
ORG_COUNTRIES = {"sms": ["KAZ"], "unhcr": ["KAZ", "KGZ", "TJK", "UZB"], "iom": ["KAZ", "KGZ", "TJK", "UZB", "TKM"],
                 "childhope": ["KAZ", "KGZ"], "safeway": ["KAZ", "UZB"]}

DECLINE_REASONS = ["no capacity at the shelter this month", "outside our area of operation",
                   "service already provided by another partner"]
CLOSURE_REASONS = ["durable solution reached", "person moved on, whereabouts unknown",
                   "return completed", "case merged with family case"]
NOTES = [
    "Interview held with interpreter; person tired but cooperative.",
    "Follow-up visit at the reception centre; needs winter clothing.",
    "Medical check done at the border post; no urgent needs.",
    "Person asked for information on the asylum procedure.",
    "Family contact re-established by phone.",
    "Legal counselling session; documents copied with consent.",
]


# ---- people and encounters --------------------------------------------------
def person(rng: random.Random, nationality: str, age: int, sex: str, on: date) -> dict:
    _, male, female, family, languages = NATIONALITIES[nationality]
    given = rng.choice(male if sex == "male" else female)
    result = {"given_name": given, "family_name": rng.choice(family), "sex": sex,
              "nationality": nationality, "languages": list(languages)}
    if rng.random() < 0.6:  # many arrive without papers: then the age is an estimate
        born = on - timedelta(days=age * 365 + rng.randint(0, 364))
        result["date_of_birth"] = born.isoformat()
        if nationality not in ("STATELESS", "UNKNOWN") and rng.random() < 0.7:
            result["documents"] = [{"type": "passport", "number": f"{nationality[0]}{rng.randint(1000000, 9999999)}",
                                    "issuing_country": nationality}]
    else:
        result["age_estimate"] = age
    return result


def encounter(rng: random.Random, org: str, on: date) -> dict:
    kind = rng.choices(list(ENCOUNTER_TYPES), weights=list(ENCOUNTER_TYPES.values()))[0]
    if kind == "border":
        place, country, _ = rng.choice(CROSSINGS)
    else:
        place, country = rng.choice([p for p in INLAND_PLACES if p[1] in ORG_COUNTRIES[org]]
                                    or INLAND_PLACES)
    return {"date": on.isoformat(), "country": country, "place": place, "type": kind}


def nationality(rng: random.Random) -> str:
    codes = list(NATIONALITIES)
    return rng.choices(codes, weights=[NATIONALITIES[c][0] for c in codes])[0]
