"""The ``overdue`` command: create the schema, import a ledger, open cases.

Settings come from the ``OVERDUE_*`` environment variables (see
``settings.py``). Exit status: 0 on success, 1 when the database fails,
2 for invalid arguments, settings or ledger files, and 3 when an import was
committed but the collections cases could not be opened.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select
from temporalio.service import RPCError

from control.cases import NotifyResult, connect, notify_ledger_changed
from ledger.importer import ImportReport, LedgerImportError, RowError, import_ledger
from models.db import create_schema, make_engine
from models.ledger import Customer
from settings import Settings, SettingsError, load_settings

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_DATABASE_ERROR = 1
EXIT_INVALID_INPUT = 2
EXIT_CASES_NOT_OPENED = 3

PROGRESS_EVERY = 500
"""Records written between two progress lines of an import."""

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def main(argv: list[str] | None = None) -> int:
    """Run the ``overdue`` command line and return its exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "shift_to_today", False) and args.as_of is None:
        parser.error(
            "--shift-to-today requires --as-of, because the shift is today - AS_OF"
        )

    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"overdue: {error}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logger.info("running %s on database %s", args.command, _database_label(settings))
    return int(args.handler(args, settings))


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="overdue",
        description="Manage the Overdue ledger and its collections cases. The "
        "database is OVERDUE_DATABASE_URL and Temporal is OVERDUE_TEMPORAL_ADDRESS.",
        epilog="Exit status: 0 success, 1 database error, 2 invalid arguments or "
        "ledger file, 3 import committed but cases not opened.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init_db = commands.add_parser(
        "init-db", help="create the tables and the default collection policy if missing"
    )
    init_db.set_defaults(handler=_run_init_db)

    import_command = commands.add_parser(
        "import",
        help="import a ledger CSV file, then open or wake the cases of its customers",
        description="Import a ledger CSV file in the canonical format or the AR "
        "sample's layout (see docs/ledger-format.md). The file is written in full or "
        "not at all.",
    )
    import_command.add_argument("file", type=Path, metavar="FILE", help="the CSV file")
    import_command.add_argument(
        "--as-of",
        type=_parse_iso_date,
        metavar="YYYY-MM-DD",
        help="skip every transaction dated after this date, so that invoices paid "
        "later stay open",
    )
    import_command.add_argument(
        "--shift-to-today",
        action="store_true",
        help="with --as-of, move every date by the days from AS_OF to today in the "
        "company time zone (OVERDUE_TIMEZONE)",
    )
    import_command.add_argument(
        "--no-cases",
        action="store_true",
        help="do not contact Temporal to open or wake collections cases after the "
        "import",
    )
    import_command.set_defaults(handler=_run_import)

    open_cases = commands.add_parser(
        "open-cases",
        help="open or wake the collections case of every customer with an overdue "
        "balance",
    )
    open_cases.set_defaults(handler=_run_open_cases)
    return parser


def _parse_iso_date(text: str) -> date:
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid date {text!r}: expected YYYY-MM-DD"
        ) from None


def _business_date(settings: Settings) -> date:
    """Return today's date in the company time zone."""
    return datetime.now(settings.zone).date()


def _database_label(settings: Settings) -> str:
    return make_url(settings.database_url).render_as_string(hide_password=True)


def _run_init_db(_args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    try:
        create_schema(engine)
    except SQLAlchemyError as error:
        print(
            f"overdue: creating the schema in {_database_label(settings)} failed: "
            f"{error}",
            file=sys.stderr,
        )
        return EXIT_DATABASE_ERROR
    finally:
        engine.dispose()
    print(f"Schema ready in {_database_label(settings)}")
    return EXIT_OK


def _require_schema(engine: Engine, settings: Settings) -> bool:
    """Return whether the tables exist, and print an error when they do not."""
    if inspect(engine).has_table("customertransaction"):
        return True
    print(
        f"overdue: {_database_label(settings)} has no Overdue tables; run "
        "`overdue init-db` first",
        file=sys.stderr,
    )
    return False


def _run_import(args: argparse.Namespace, settings: Settings) -> int:
    business_date = _business_date(settings)
    engine = make_engine(settings.database_url)
    try:
        if not _require_schema(engine, settings):
            return EXIT_DATABASE_ERROR
        outcome = _import_file(engine, args, business_date)
        if isinstance(outcome, int):
            return outcome
        print(_describe_report(args.file, outcome, args.as_of))
        if args.no_cases:
            return EXIT_OK
        return _notify_cases(
            settings, engine, outcome.accounts, business_date, after_import=True
        )
    finally:
        engine.dispose()


def _import_file(
    engine: Engine, args: argparse.Namespace, business_date: date
) -> ImportReport | int:
    """Import ``args.file`` and return the report, or the exit status after an error."""
    path: Path = args.file
    try:
        return import_ledger(
            engine,
            path,
            as_of=args.as_of,
            shift_to=business_date if args.shift_to_today else None,
            progress=_ProgressPrinter(path),
        )
    except LedgerImportError as error:
        for row_error in error.errors:
            print(format_row_error(path, row_error), file=sys.stderr)
        count = len(error.errors)
        print(
            f"{path}: {count} error{'s' if count != 1 else ''}; nothing was imported",
            file=sys.stderr,
        )
        return EXIT_INVALID_INPUT
    except OSError as error:
        print(
            f"{path}: cannot read the file: {error.strerror or error}", file=sys.stderr
        )
        return EXIT_INVALID_INPUT
    except SQLAlchemyError as error:
        print(
            f"overdue: the import of {path} failed and was rolled back: {error}",
            file=sys.stderr,
        )
        return EXIT_DATABASE_ERROR


def format_row_error(path: Path, error: RowError) -> str:
    """Format an error as ``FILE:LINE: column COLUMN: reason``."""
    if error.column:
        return f"{path}:{error.line}: column {error.column}: {error.reason}"
    return f"{path}:{error.line}: {error.reason}"


def _describe_report(path: Path, report: ImportReport, as_of: date | None) -> str:
    text = (
        f"Imported {path} (import {report.import_id}): "
        f"customers {report.customers_created} created, "
        f"{report.customers_updated} updated, {report.customers_unchanged} unchanged; "
        f"transactions {report.transactions_created} created, "
        f"{report.transactions_unchanged} unchanged"
    )
    if as_of is not None:
        text += f"; {report.rows_skipped_after_as_of} dated after {as_of} skipped"
    return text


class _ProgressPrinter:
    """Print a progress line to stderr every ``PROGRESS_EVERY`` records written."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, written: int, total: int) -> None:
        if total < PROGRESS_EVERY:
            return
        if written % PROGRESS_EVERY == 0 or written == total:
            percent = written * 100 // total
            print(
                f"{self.path}: {written} of {total} records written ({percent}%)",
                file=sys.stderr,
            )


def _run_open_cases(_args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    try:
        if not _require_schema(engine, settings):
            return EXIT_DATABASE_ERROR
        with Session(engine) as session:
            accounts = list(session.exec(select(Customer.account)).all())
        return _notify_cases(
            settings, engine, accounts, _business_date(settings), after_import=False
        )
    finally:
        engine.dispose()


def _notify_cases(
    settings: Settings,
    engine: Engine,
    accounts: Iterable[str],
    business_date: date,
    *,
    after_import: bool,
) -> int:
    """Open or wake the cases of ``accounts`` and print the counts."""
    try:
        result = asyncio.run(
            _connect_and_notify(settings, engine, accounts, business_date)
        )
    except (RuntimeError, RPCError) as error:
        # Client.connect raises RuntimeError when the server is unreachable
        # (temporalio 1.35), and calls on a lost connection raise RPCError.
        saved = "The imported ledger is saved. " if after_import else ""
        print(
            f"overdue: the collections cases were not opened because Temporal at "
            f"{settings.temporal_address} failed: {error}. {saved}Run "
            "`overdue open-cases` when Temporal is up.",
            file=sys.stderr,
        )
        return EXIT_CASES_NOT_OPENED
    print(
        f"Cases on {business_date}: {len(result.started)} started, "
        f"{len(result.signalled)} signalled, {len(result.skipped)} customers without "
        "an overdue balance or open case"
    )
    return EXIT_OK


async def _connect_and_notify(
    settings: Settings, engine: Engine, accounts: Iterable[str], business_date: date
) -> NotifyResult:
    client = await connect(settings)
    return await notify_ledger_changed(
        client, settings, engine, accounts, business_date
    )


def run() -> None:
    """Run ``main`` and end the process with its exit status.

    NOTE: temporalio 1.35's Rust runtime keeps threads that, at interpreter
    shutdown after a client was used, sometimes abort the process
    ("PyGILState_Release: thread state must be current", seen in about 1 of
    8 imports on this machine) although all work was done and committed.
    Ending with ``os._exit`` after flushing skips that shutdown, so the exit
    status is the command's own.
    """
    status = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
