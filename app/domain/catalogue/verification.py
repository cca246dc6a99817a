"""When a service was last checked: "today" in Norway, and the rule for "not verified for 12 months"."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

NORWAY = ZoneInfo("Europe/Oslo")
STALE_AFTER_DAYS = 365


def today(now: datetime | None = None) -> date:
    """Today as a coordinator in Norway sees it, not in UTC (`now`: an aware time, default the clock)."""
    return (now or datetime.now(NORWAY)).astimezone(NORWAY).date()


def unverified_before(stale_after_days: int = STALE_AFTER_DAYS, *, now: datetime | None = None) -> date:
    """A service last verified before this date (or never) is "not verified for 12 months"."""
    return today(now) - timedelta(days=stale_after_days)


def is_unverified(
    last_verified_on: date | None, stale_after_days: int = STALE_AFTER_DAYS, *, now: datetime | None = None
) -> bool:
    """Whether a service last verified on this date (None: never) is "not verified for 12 months"."""
    return last_verified_on is None or last_verified_on < unverified_before(stale_after_days, now=now)
