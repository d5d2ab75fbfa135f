"""Who did something: recorded on every event."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Actor:
    sub: str
    org: str
    client_id: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)
