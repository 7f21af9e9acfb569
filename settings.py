"""Runtime settings of Overdue, read from ``OVERDUE_*`` environment variables.

Every process (API, worker, command line) reads the same variables, so one
environment file configures a whole deployment. ``load_settings`` validates
each value and raises ``SettingsError`` naming the variable and the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'overdue.db'}"


class SettingsError(ValueError):
    """An ``OVERDUE_*`` environment variable has an invalid value."""


@dataclass(frozen=True)
class CompanySettings:
    """The company that sends the letters: letterhead and payment details."""

    name: str = "Overdue Demo AS"
    address: str = "Storgata 1\n0155 Oslo\nNorway"
    email: str = "collections@overdue.example"
    bank_account: str = "1503.12.34567"
    iban: str = "NO93 8601 1117 947"
    organisation_number: str = "999 999 999"


@dataclass(frozen=True)
class Settings:
    """Validated settings of one process."""

    database_url: str = DEFAULT_DATABASE_URL
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "overdue-collections"
    timezone: str = "Europe/Oslo"
    run_hour: int = 6
    render_processes: int = 2
    log_level: str = "INFO"
    case_open_wait_seconds: float = 10.0
    company: CompanySettings = field(default_factory=CompanySettings)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _read_int(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(
            f"{name}={raw!r} is invalid: expected a whole number"
        ) from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is invalid: expected {low} to {high}")
    return value


def _read_float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is invalid: expected a number") from None
    if value < 0:
        raise SettingsError(f"{name}={value} is invalid: expected 0 or more")
    return value


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build ``Settings`` from the environment, with defaults for one machine.

    Raises:
        SettingsError: a variable is set to a value that cannot be used.
    """
    env = dict(os.environ if environ is None else environ)
    timezone = env.get("OVERDUE_TIMEZONE") or Settings.timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"OVERDUE_TIMEZONE={timezone!r} is invalid: expected an IANA time zone "
            "such as Europe/Oslo"
        ) from None

    log_level = (env.get("OVERDUE_LOG_LEVEL") or Settings.log_level).upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(
            f"OVERDUE_LOG_LEVEL={log_level!r} is invalid: expected DEBUG, INFO, "
            "WARNING or ERROR"
        )

    defaults = CompanySettings()
    company = CompanySettings(
        name=env.get("OVERDUE_COMPANY_NAME") or defaults.name,
        address=(env.get("OVERDUE_COMPANY_ADDRESS") or defaults.address).replace(
            "\\n", "\n"
        ),
        email=env.get("OVERDUE_COMPANY_EMAIL") or defaults.email,
        bank_account=env.get("OVERDUE_COMPANY_BANK_ACCOUNT") or defaults.bank_account,
        iban=env.get("OVERDUE_COMPANY_IBAN") or defaults.iban,
        organisation_number=env.get("OVERDUE_COMPANY_ORGANISATION_NUMBER")
        or defaults.organisation_number,
    )
    return Settings(
        database_url=env.get("OVERDUE_DATABASE_URL") or DEFAULT_DATABASE_URL,
        temporal_address=env.get("OVERDUE_TEMPORAL_ADDRESS")
        or Settings.temporal_address,
        temporal_namespace=env.get("OVERDUE_TEMPORAL_NAMESPACE")
        or Settings.temporal_namespace,
        task_queue=env.get("OVERDUE_TASK_QUEUE") or Settings.task_queue,
        timezone=timezone,
        run_hour=_read_int(env, "OVERDUE_RUN_HOUR", Settings.run_hour, 0, 23),
        render_processes=_read_int(
            env, "OVERDUE_RENDER_PROCESSES", Settings.render_processes, 1, 64
        ),
        log_level=log_level,
        case_open_wait_seconds=_read_float(
            env, "OVERDUE_CASE_OPEN_WAIT_SECONDS", Settings.case_open_wait_seconds
        ),
        company=company,
    )
