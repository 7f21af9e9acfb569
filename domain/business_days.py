"""Business dates: calendar dates in the company's time zone.

The functions take the zone as an IANA name or a ``ZoneInfo``. Workflows
pass the name: the workflow sandbox wraps ``ZoneInfo`` objects created in
workflow code in a proxy that ``datetime`` does not accept.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def _zone(zone: ZoneInfo | str) -> ZoneInfo:
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)


def business_date(moment: datetime, zone: ZoneInfo | str) -> date:
    """Return the company's calendar date at an aware ``moment``."""
    return moment.astimezone(_zone(zone)).date()


def run_moment(day: date, zone: ZoneInfo | str, hour: int) -> datetime:
    """Return ``day`` at ``hour`` o'clock company time, as an aware UTC datetime.

    ``zoneinfo`` resolves daylight saving time: on a spring-forward day an
    hour that does not exist is moved forward by the gap.
    """
    local = datetime.combine(day, time(hour=hour), tzinfo=_zone(zone))
    return local.astimezone(UTC)


def wait_until(now: datetime, day: date, zone: ZoneInfo | str, hour: int) -> timedelta:
    """Return how long to sleep from ``now`` until ``day`` at ``hour``, at least 0."""
    return max(timedelta(0), run_moment(day, zone, hour) - now)
