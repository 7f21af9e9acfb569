"""Business dates and run moments in the company's time zone (Europe/Oslo).

Oslo is UTC+1 in winter and UTC+2 in summer. In 2024 the clocks went from
02:00 to 03:00 on 31 March and from 03:00 back to 02:00 on 27 October.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.business_days import business_date, run_moment, wait_until

OSLO = "Europe/Oslo"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


BUSINESS_DATES = {
    "winter before midnight": (utc(2024, 3, 7, 22, 59), date(2024, 3, 7)),
    "winter after midnight": (utc(2024, 3, 7, 23, 30), date(2024, 3, 8)),
    "summer before midnight": (utc(2024, 6, 30, 21, 59), date(2024, 6, 30)),
    "summer after midnight": (utc(2024, 6, 30, 22, 30), date(2024, 7, 1)),
    "into 29 February": (utc(2024, 2, 28, 23, 0), date(2024, 2, 29)),
    "out of 29 February": (utc(2024, 2, 29, 23, 0), date(2024, 3, 1)),
    "into new year": (utc(2024, 12, 31, 23, 0), date(2025, 1, 1)),
    "last hour of the year": (utc(2024, 12, 31, 22, 59), date(2024, 12, 31)),
    "spring-forward night": (utc(2024, 3, 30, 23, 0), date(2024, 3, 31)),
    "fall-back night": (utc(2024, 10, 26, 22, 0), date(2024, 10, 27)),
    "after fall-back": (utc(2024, 10, 27, 23, 0), date(2024, 10, 28)),
}


@pytest.mark.parametrize(
    ("moment", "expected"), BUSINESS_DATES.values(), ids=BUSINESS_DATES.keys()
)
def test_business_date_in_oslo(moment: datetime, expected: date) -> None:
    assert business_date(moment, OSLO) == expected


def test_business_date_accepts_zoneinfo() -> None:
    assert business_date(utc(2024, 3, 7, 23, 30), ZoneInfo(OSLO)) == date(2024, 3, 8)


def test_business_date_from_other_zone() -> None:
    new_york = datetime(2024, 3, 7, 18, 30, tzinfo=ZoneInfo("America/New_York"))

    assert business_date(new_york, OSLO) == date(2024, 3, 8)


RUN_MOMENTS = {
    "winter": (date(2024, 1, 15), 9, utc(2024, 1, 15, 8)),
    "summer": (date(2024, 7, 15), 9, utc(2024, 7, 15, 7)),
    "29 February": (date(2024, 2, 29), 9, utc(2024, 2, 29, 8)),
    "month end": (date(2024, 4, 30), 9, utc(2024, 4, 30, 7)),
    "year end": (date(2024, 12, 31), 9, utc(2024, 12, 31, 8)),
    "midnight": (date(2024, 1, 1), 0, utc(2023, 12, 31, 23)),
    "spring-forward day after gap": (date(2024, 3, 31), 9, utc(2024, 3, 31, 7)),
    "spring-forward day before gap": (date(2024, 3, 31), 1, utc(2024, 3, 31, 0)),
    # 02:00 does not exist on 31 March, so it resolves to 03:00 summer time.
    "hour in the gap": (date(2024, 3, 31), 2, utc(2024, 3, 31, 1)),
    "spring-forward hour after gap": (date(2024, 3, 31), 3, utc(2024, 3, 31, 1)),
    # 02:00 occurs twice on 27 October, and the first one, in summer time, is used.
    "repeated hour": (date(2024, 10, 27), 2, utc(2024, 10, 27, 0)),
    "fall-back day after change": (date(2024, 10, 27), 9, utc(2024, 10, 27, 8)),
    "fall-back day before change": (date(2024, 10, 27), 1, utc(2024, 10, 26, 23)),
}


@pytest.mark.parametrize(
    ("day", "hour", "expected"), RUN_MOMENTS.values(), ids=RUN_MOMENTS.keys()
)
def test_run_moment_in_oslo(day: date, hour: int, expected: datetime) -> None:
    moment = run_moment(day, OSLO, hour)

    assert moment == expected
    assert moment.tzinfo is UTC


def test_run_moment_round_trips() -> None:
    moment = run_moment(date(2024, 3, 31), OSLO, 2)

    assert business_date(moment, OSLO) == date(2024, 3, 31)
    assert moment.astimezone(ZoneInfo(OSLO)).hour == 3


WAITS = {
    "same winter day": (utc(2024, 1, 15, 6), date(2024, 1, 15), timedelta(hours=2)),
    "next summer day": (utc(2024, 7, 14, 7), date(2024, 7, 15), timedelta(days=1)),
    "across spring-forward": (
        utc(2024, 3, 30, 8),
        date(2024, 3, 31),
        timedelta(hours=23),
    ),
    "across fall-back": (utc(2024, 10, 26, 7), date(2024, 10, 27), timedelta(hours=25)),
    "across 29 February": (utc(2024, 2, 28, 8), date(2024, 3, 1), timedelta(days=2)),
    "exactly at run moment": (utc(2024, 1, 15, 8), date(2024, 1, 15), timedelta(0)),
    "after run moment": (utc(2024, 1, 15, 8, 1), date(2024, 1, 15), timedelta(0)),
    "days after run moment": (utc(2024, 3, 20, 12), date(2024, 3, 8), timedelta(0)),
}


@pytest.mark.parametrize(("now", "day", "expected"), WAITS.values(), ids=WAITS.keys())
def test_wait_until_run_hour(now: datetime, day: date, expected: timedelta) -> None:
    assert wait_until(now, day, OSLO, 9) == expected
