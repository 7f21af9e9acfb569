"""Run Overdue on one machine: Temporal dev server, worker, API and sample ledger.

``make run`` calls this script. State lives in ``var/`` (the SQLite
database, the Temporal dev server's SQLite file and the logs), so a second
run resumes where the first stopped. The sample ledger is imported only
when the database has no import yet. Ctrl-C stops the processes in
reverse order of starting.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import Session, select

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from control.cases import connect  # noqa: E402
from models import LedgerImport  # noqa: E402
from models.db import create_schema, make_engine  # noqa: E402
from settings import SettingsError, load_settings  # noqa: E402
from workflows.names import SEARCH_ATTRIBUTES  # noqa: E402

logger = logging.getLogger("overdue.run")

SAMPLE_LEDGER = PROJECT_ROOT / "data" / "ar-ledger-sample.csv"
SAMPLE_AS_OF = "2013-06-30"
STOP_TIMEOUT_SECONDS = 20


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


class Processes:
    """Child processes, stopped in reverse order of starting."""

    def __init__(self) -> None:
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, command: list[str], log_path: Path, env: dict[str, str]
    ) -> None:
        log_file = open(log_path, "ab")  # noqa: SIM115  (kept open for the child's lifetime)
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append((name, process))
        logger.info("%s started (pid %d), log %s", name, process.pid, log_path)

    def check_alive(self) -> None:
        for name, process in self.started:
            code = process.poll()
            if code is not None:
                raise RuntimeError(
                    f"{name} exited with status {code}; see its log in var/log/"
                )

    def stop_all(self) -> None:
        for name, process in reversed(self.started):
            if process.poll() is not None:
                continue
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                logger.warning(
                    "%s did not stop in %d s; killing it", name, STOP_TIMEOUT_SECONDS
                )
                process.kill()
                process.wait()
            logger.info("%s stopped", name)


async def _wait_for_temporal(
    settings, processes: Processes, timeout: float = 60
) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        try:
            await connect(settings)
            return
        except RuntimeError:
            processes.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Temporal did not respond at {settings.temporal_address} within "
                    f"{timeout:.0f} s; see var/log/temporal.log"
                ) from None
            await asyncio.sleep(0.5)


def _wait_for_http(url: str, processes: Processes, timeout: float = 60) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        processes.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not respond within {timeout:.0f} s")
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--api-port", type=int, default=int(os.environ.get("OVERDUE_API_PORT", 8000))
    )
    parser.add_argument(
        "--ui-port",
        type=int,
        default=int(os.environ.get("OVERDUE_TEMPORAL_UI_PORT", 8233)),
    )
    parser.add_argument(
        "--exit-after-start",
        action="store_true",
        help="start everything, import and open the cases, then stop again (for checks)",
    )
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"invalid settings: {err}", file=sys.stderr)
        return 2

    var = PROJECT_ROOT / "var"
    (var / "log").mkdir(parents=True, exist_ok=True)
    host, _, port = settings.temporal_address.rpartition(":")
    env = dict(os.environ)
    processes = Processes()
    stop_requested = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    try:
        temporal_command = [
            _bin("temporal"), "server", "start-dev",
            "--ip", host or "127.0.0.1", "--port", port,
            "--ui-port", str(args.ui_port),
            "--namespace", settings.temporal_namespace,
            "--db-filename", str(var / "temporal.db"),
            "--sqlite-pragma", "journal_mode=wal",
            "--sqlite-pragma", "synchronous=normal",
            "--log-level", "warn",
        ]  # fmt: skip
        for name, kind in SEARCH_ATTRIBUTES.items():
            temporal_command += ["--search-attribute", f"{name}={kind}"]
        processes.start(
            "Temporal dev server", temporal_command, var / "log" / "temporal.log", env
        )
        asyncio.run(_wait_for_temporal(settings, processes))

        engine = make_engine(settings.database_url)
        create_schema(engine)
        with Session(engine) as session:
            first_run = session.exec(select(LedgerImport.id)).first() is None
        engine.dispose()

        processes.start(
            "worker", [sys.executable, "worker.py"], var / "log" / "worker.log", env
        )
        if first_run:
            logger.info(
                "importing the sample ledger as of %s, shifted to today", SAMPLE_AS_OF
            )
            status = subprocess.call(
                [_bin("overdue"), "import", str(SAMPLE_LEDGER),
                 "--as-of", SAMPLE_AS_OF, "--shift-to-today"],
                cwd=PROJECT_ROOT, env=env,
            )  # fmt: skip
            if status != 0:
                raise RuntimeError(
                    f"importing the sample ledger failed with status {status}"
                )
        else:
            logger.info("database has a ledger already; resuming without importing")

        processes.start(
            "API",
            [
                _bin("uvicorn"),
                "api.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(args.api_port),
            ],
            var / "log" / "api.log",
            env,
        )
        _wait_for_http(f"http://127.0.0.1:{args.api_port}/health", processes)

        print(
            "\nOverdue is running:\n"
            f"  API docs     http://127.0.0.1:{args.api_port}/docs\n"
            f"  Open cases   http://127.0.0.1:{args.api_port}/cases?status=open\n"
            f"  Temporal UI  http://127.0.0.1:{args.ui_port}/namespaces/"
            f"{settings.temporal_namespace}/workflows\n"
            "  Logs         var/log/ (temporal.log, worker.log, api.log)\n"
            "Press Ctrl-C to stop; the next run resumes with the same state.\n",
            flush=True,
        )
        while not stop_requested and not args.exit_after_start:
            processes.check_alive()
            time.sleep(0.5)
        return 0
    except RuntimeError as err:
        logger.error("%s", err)
        return 1
    finally:
        logger.info("stopping")
        processes.stop_all()


if __name__ == "__main__":
    sys.exit(main())
