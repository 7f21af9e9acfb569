"""The daily overdue scan: opens cases for invoices that fell overdue.

Imports and payments open or wake cases at once, but an invoice that was
not yet due at import time falls overdue later without any ledger change.
This workflow looks once a day, at the run hour, and opens those cases.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.business_days import business_date, wait_until
    from workflows.names import OVERDUE_SCAN_WORKFLOW
    from workflows.payloads import (
        OpenOverdueCasesInput,
        OpenOverdueCasesResult,
        ScanSetup,
    )

DAYS_PER_RUN = 30


@workflow.defn(name=OVERDUE_SCAN_WORKFLOW)
class OverdueScanWorkflow:
    def __init__(self) -> None:
        self._scan_now = False

    @workflow.signal
    def scan_now(self) -> None:
        """Scan at once instead of waiting for the next run hour."""
        self._scan_now = True

    @workflow.run
    async def run(self) -> None:
        retry = RetryPolicy(maximum_interval=timedelta(minutes=5))
        setup: ScanSetup = await workflow.execute_activity(
            "get_scan_setup",
            start_to_close_timeout=timedelta(seconds=30),
            result_type=ScanSetup,
            retry_policy=retry,
        )
        zone = setup.timezone
        for _ in range(DAYS_PER_RUN):
            self._scan_now = False
            today = business_date(workflow.now(), zone)
            result: OpenOverdueCasesResult = await workflow.execute_activity(
                "open_overdue_cases",
                OpenOverdueCasesInput(business_date=today),
                result_type=OpenOverdueCasesResult,
                start_to_close_timeout=timedelta(minutes=10),
                retry_policy=retry,
            )
            workflow.logger.info(
                "overdue scan of %s started %d cases", today, len(result.started)
            )
            wait = wait_until(
                workflow.now(), today + timedelta(days=1), zone, setup.run_hour
            )
            try:
                await workflow.wait_condition(lambda: self._scan_now, timeout=wait)
            except TimeoutError:
                pass
        workflow.continue_as_new()
