"""The Overdue worker: runs the case workflows and their activities.

Usage: ``python worker.py`` (runs until SIGINT or SIGTERM) or
``python worker.py --check`` (exits 0 when the settings load and the
database and Temporal respond).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

from sqlalchemy import Engine, text
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Interceptor, Worker

from activities.cases import CaseActivities
from activities.documents import DocumentActivities
from activities.scan import ScanActivities
from control.cases import connect
from models.db import make_engine
from settings import Settings, SettingsError, load_settings
from workflows.collections_case import CustomerCollectionsWorkflow
from workflows.names import OVERDUE_SCAN_WORKFLOW_ID
from workflows.overdue_scan import OverdueScanWorkflow

logger = logging.getLogger("overdue.worker")

CONNECT_ATTEMPTS = 30


def _warm_up_renderer() -> None:
    # Importing WeasyPrint takes about a second; pay it when the pool starts.
    import weasyprint  # noqa: F401


def make_render_pool(processes: int) -> ProcessPoolExecutor:
    """Create the process pool that turns letter HTML into PDF."""
    return ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_warm_up_renderer,
    )


def build_worker(
    client: Client,
    engine: Engine,
    settings: Settings,
    render_pool: Executor,
    activity_executor: ThreadPoolExecutor,
    interceptors: Sequence[Interceptor] = (),
) -> Worker:
    """Create the worker with every workflow and activity of Overdue."""
    cases = CaseActivities(engine, settings)
    documents = DocumentActivities(engine, settings, render_pool)
    scan = ScanActivities(engine, settings, client)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[CustomerCollectionsWorkflow, OverdueScanWorkflow],
        activities=[
            cases.open_case_record,
            cases.load_case_snapshot,
            cases.post_collection_letter,
            cases.hand_off_to_agency,
            cases.record_case_progress,
            cases.close_case_record,
            documents.render_collection_letter,
            scan.get_scan_setup,
            scan.open_overdue_cases,
        ],
        activity_executor=activity_executor,
        max_concurrent_activities=20,
        interceptors=interceptors,
    )


async def start_overdue_scan(client: Client, settings: Settings) -> None:
    """Start the daily overdue scan unless it is already running."""
    await client.start_workflow(
        OverdueScanWorkflow.run,
        id=OVERDUE_SCAN_WORKFLOW_ID,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


async def connect_with_retry(
    settings: Settings, attempts: int = CONNECT_ATTEMPTS
) -> Client:
    """Connect to Temporal, retrying every two seconds while it starts."""
    for attempt in range(1, attempts + 1):
        try:
            return await connect(settings)
        except RuntimeError as err:
            if attempt == attempts:
                raise
            logger.warning(
                "connecting to Temporal at %s failed (attempt %d of %d): %s",
                settings.temporal_address,
                attempt,
                attempts,
                err,
            )
            await asyncio.sleep(2)
    raise AssertionError("unreachable")


async def check(settings: Settings) -> int:
    """Return 0 when the database and Temporal respond, else 1."""
    try:
        engine = make_engine(settings.database_url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        await connect(settings)
    except Exception as err:  # noqa: BLE001  (a health check reports any failure)
        print(f"worker check failed: {err}", file=sys.stderr)
        return 1
    return 0


async def run(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    client = await connect_with_retry(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    with (
        make_render_pool(settings.render_processes) as render_pool,
        ThreadPoolExecutor(max_workers=20) as activity_executor,
    ):
        worker = build_worker(client, engine, settings, render_pool, activity_executor)
        await start_overdue_scan(client, settings)
        logger.info(
            "worker started: task queue %s on %s, namespace %s, %d render processes",
            settings.task_queue,
            settings.temporal_address,
            settings.temporal_namespace,
            settings.render_processes,
        )
        async with worker:
            await stop.wait()
            logger.info("worker stopping: finishing running activities")
    engine.dispose()
    logger.info("worker stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Overdue Temporal worker.")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 0 when the database and Temporal respond, 1 otherwise",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"invalid settings: {err}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.check:
        return asyncio.run(check(settings))
    asyncio.run(run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
