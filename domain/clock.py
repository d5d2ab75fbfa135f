"""Days for the time-bound rules. Commands take `today` so tests can set it; the
application passes the real one."""
from datetime import date, datetime, timezone


def today() -> date:
    return datetime.now(timezone.utc).date()


def day_of(effective_at: str | None, today: date) -> str:
    """The day a fact took effect: the caller's `effective_at`, else today."""
    return effective_at[:10] if effective_at else today.isoformat()
