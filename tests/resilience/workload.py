"""A storm of mixed case commands over HTTP: many clients, few cases, with and
without If-Match. Every command chosen here writes exactly one event when it is
accepted (no multi-finding assessments, no categories that may already be there),
so the store must hold exactly one event per 2xx answer, plus the openings."""
from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from tests.resilience.harness import Answer, Client, bearer

OWNER, PARTNER = "unhcr", "iom"
TODAY = date.today()
ASYLUM_EVENTS = ("intention_expressed", "lodged", "recognized", "complementary_protection", "rejected",
                 "rejected_final")
SERVICES = ("asylum_procedure", "child_protection", "legal_aid", "medical", "shelter")
BEST_INTERESTS = ("local_integration", "resettlement", "family_reunification", "alternative_care")
CATEGORY_SETS = (["asylum_seeker"], ["unaccompanied_child", "asylum_seeker"], ["stranded_migrant"],
                 ["presumed_trafficking_victim"], ["economic_migrant"], [])


def opening(rng: random.Random, n: int) -> dict:
    person = {"given_name": f"Storm{n}", "family_name": "Person", "sex": rng.choice(("female", "male")),
              "date_of_birth": (TODAY - timedelta(days=rng.randrange(3000, 20000))).isoformat(),
              "nationality": rng.choice(("AFG", "SYR", "IRN", "STATELESS"))}
    return {"person": person,
            "encounter": {"date": (TODAY - timedelta(days=rng.randrange(1, 400))).isoformat(), "country": "KAZ",
                          "place": "border crossing", "type": "border"},
            "categories": rng.choice(CATEGORY_SETS), "asylum_intention": rng.random() < 0.4,
            "notes": "opened by the storm"}


@dataclass
class Actors:
    caseworker: dict
    supervisor: dict
    partner: dict  # a caseworker of the receiving organisation

    @classmethod
    def make(cls, issuer) -> "Actors":
        return cls(bearer(issuer, "cw-1", OWNER, "caseworker"), bearer(issuer, "chief-1", OWNER, "supervisor"),
                   bearer(issuer, "cw-9", PARTNER, "caseworker"))


@dataclass
class Sent:
    """One command and its answer, kept to check the store against."""

    kind: str
    case_id: str
    if_match: bool
    answer: Answer


@dataclass
class Storm:
    base_url: str
    actors: Actors
    case_ids: list[str]
    commands: int
    clients: int = 32
    seed: int = 10
    deadline_seconds: float = 600.0  # a storm that cannot finish in this time is a failure, not a hang
    stop: threading.Event = field(default_factory=threading.Event)
    sent: list[Sent] = field(default_factory=list)
    referrals: dict = field(default_factory=lambda: defaultdict(list))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _issued: int = 0

    def _next(self) -> bool:
        with self._lock:
            if self._issued >= self.commands or self.stop.is_set():
                return False
            self._issued += 1
            return True

    def _command(self, rng: random.Random, case_id: str) -> tuple[str, str, dict, dict]:
        a = self.actors
        roll = rng.random()
        base = f"/cases/{case_id}"
        if roll < 0.25:
            return "note", base + "/notes", {"text": f"storm note {rng.randrange(10**9)}"}, a.caseworker
        if roll < 0.35:
            return "assessment", base + "/assessments", {"best_interests": rng.choice(BEST_INTERESTS)}, a.caseworker
        if roll < 0.50:
            return "asylum", base + "/asylum", {"event": rng.choice(ASYLUM_EVENTS)}, a.caseworker
        if roll < 0.58:
            return "consent", base + "/consents", {"purpose": rng.choice(("data_sharing", "voluntary_return")),
                                                   "organisation": rng.choice((OWNER, PARTNER)),
                                                   "given": True}, a.caseworker
        if roll < 0.66:
            return "referral", base + "/referrals", {"to_org": PARTNER, "service": rng.choice(SERVICES),
                                                     "share_personal_data": True,
                                                     "legal_basis": "vital_interest"}, a.caseworker
        if roll < 0.71:
            with self._lock:
                known = list(self.referrals[case_id])
            if known:
                rid = rng.choice(known)
                return "acceptance", f"{base}/referrals/{rid}/acceptance", {}, a.partner
            return "note", base + "/notes", {"text": "no referral yet"}, a.caseworker
        if roll < 0.77:
            return "assignment", base + "/assignment", {"assignee": f"cw-{rng.randrange(5)}"}, a.supervisor
        if roll < 0.81:
            return "closure", base + "/closure", {"reason": "storm"}, a.supervisor
        if roll < 0.87:
            return "reopening", base + "/reopening", {"reason": "storm"}, a.supervisor
        if roll < 0.94:
            return "return", base + "/returns", {"kind": rng.choice(("forced", "voluntary")),
                                                 "destination_country": "AFG",
                                                 "planned_date": (TODAY + timedelta(days=30)).isoformat()}, a.caseworker
        return "regularization", base + "/regularization", {"pathway": "humanitarian"}, a.caseworker

    def _client(self, index: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        client = Client(self.base_url)
        known: dict[str, int] = {}  # this client's last seen version of each case
        deadline = time.monotonic() + self.deadline_seconds
        try:
            while time.monotonic() < deadline and self._next():
                case_id = rng.choice(self.case_ids)
                kind, path, body, headers = self._command(rng, case_id)
                if_match = rng.random() < 0.5
                if if_match:
                    if case_id not in known:
                        got = client.request("GET", f"/cases/{case_id}", headers=self.actors.caseworker)
                        if got.version is not None:
                            known[case_id] = got.version
                    if case_id in known:
                        headers = {**headers, "If-Match": f'"{known[case_id]}"'}
                    else:
                        if_match = False
                answer = client.request("POST", path, body, headers)
                if answer.version is not None:
                    known[case_id] = answer.version
                elif answer.status == 412:
                    known.pop(case_id, None)  # stale: look again before the next If-Match
                if kind == "referral" and answer.status == 201:
                    with self._lock:
                        self.referrals[case_id].append(answer.json()["id"])
                with self._lock:
                    self.sent.append(Sent(kind, case_id, if_match, answer))
        finally:
            client.close()

    def run(self) -> float:
        started = time.monotonic()
        threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(self.deadline_seconds + 30)
        self.stop.set()
        return time.monotonic() - started

    # ---- what the answers say --------------------------------------------------------
    def statuses(self) -> Counter:
        return Counter(s.answer.status for s in self.sent)

    def acknowledged(self) -> list[Sent]:
        return [s for s in self.sent if 200 <= s.answer.status < 300]

    def latencies(self) -> dict:
        times = sorted(s.answer.seconds for s in self.sent)
        if not times:
            return {}
        pick = lambda q: round(times[min(len(times) - 1, int(q * len(times)))] * 1000, 1)  # noqa: E731
        return {"p50_ms": pick(0.5), "p95_ms": pick(0.95), "p99_ms": pick(0.99), "max_ms": pick(1.0)}


def open_cases(base_url: str, actors: Actors, count: int, seed: int = 10) -> list[str]:
    rng = random.Random(seed)
    client = Client(base_url)
    try:
        ids = []
        for n in range(count):
            answer = client.request("POST", "/cases", opening(rng, n), actors.caseworker)
            assert answer.status == 201, (answer.status, answer.body[:500])
            ids.append(answer.json()["id"])
        return ids
    finally:
        client.close()


@dataclass
class Write:
    kind: str  # "open" or "note"
    case_id: str | None
    text: str | None
    started: float
    answer: Answer


class Load:
    """Clients that open cases and add uniquely worded notes to them until stopped:
    what a fault test runs while it breaks something."""

    def __init__(self, base_url: str, actors: Actors, answer_within: float = 25.0):
        self.base_url, self.actors, self.answer_within = base_url, actors, answer_within
        self.stop = threading.Event()
        self.writes: list[Write] = []
        self.lock = threading.Lock()

    def client(self, index: int) -> None:
        rng = random.Random(index)
        client = Client(self.base_url, timeout=self.answer_within + 20)
        mine: list[str] = []
        n = 0
        deadline = time.monotonic() + 300  # bounded even if the test's own stop never comes
        try:
            while not self.stop.is_set() and time.monotonic() < deadline:
                n += 1
                started = time.monotonic()
                if not mine or rng.random() < 0.3:
                    answer = client.request("POST", "/cases", opening(rng, n), self.actors.caseworker)
                    write = Write("open", answer.json()["id"] if answer.status == 201 else None, None, started,
                                  answer)
                    if write.case_id:
                        mine.append(write.case_id)
                else:
                    case_id, text = rng.choice(mine), f"load note {index}-{n}"
                    answer = client.request("POST", f"/cases/{case_id}/notes", {"text": text},
                                            self.actors.caseworker)
                    write = Write("note", case_id, text, started, answer)
                with self.lock:
                    self.writes.append(write)
                if answer.status == 503:  # as a well-behaved client would, but briefly
                    time.sleep(min(0.2, float(answer.headers.get("retry-after", "1"))))
        finally:
            client.close()
