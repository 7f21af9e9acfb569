"""Activities of the daily overdue scan."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio import activity
from temporalio.client import Client

from control.cases import notify_ledger_changed, overdue_customers
from domain.case import CaseStatus
from models import CollectionCase
from settings import Settings
from workflows.payloads import OpenOverdueCasesInput, OpenOverdueCasesResult, ScanSetup


class ScanActivities:
    def __init__(self, engine: Engine, settings: Settings, client: Client) -> None:
        self.engine = engine
        self.settings = settings
        self.client = client

    @activity.defn
    def get_scan_setup(self) -> ScanSetup:
        return ScanSetup(
            timezone=self.settings.timezone, run_hour=self.settings.run_hour
        )

    @activity.defn
    async def open_overdue_cases(
        self, request: OpenOverdueCasesInput
    ) -> OpenOverdueCasesResult:
        """Open a case for every overdue customer that has none, and wake the open ones."""
        with Session(self.engine) as session:
            overdue = set(overdue_customers(session, request.business_date))
            open_accounts = set(
                session.exec(
                    select(CollectionCase.customer_account).where(
                        CollectionCase.status == CaseStatus.OPEN
                    )
                ).all()
            )
        # Open cases get a signal too, so a case whose wake-up was missed (a
        # payment stored while Temporal was unreachable, or a case with every
        # item at the agency and no timer) looks again at least once a day.
        result = await notify_ledger_changed(
            self.client,
            self.settings,
            self.engine,
            sorted(overdue | open_accounts),
            request.business_date,
        )
        activity.logger.info(
            "overdue scan of %s: %d overdue customers, %d cases started",
            request.business_date,
            len(overdue),
            len(result.started),
        )
        return OpenOverdueCasesResult(started=result.started)
