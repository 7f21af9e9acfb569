"""The collections case: one workflow run per customer with an overdue balance.

Its loop loads the customer's open items, plans with the pure rules of
``domain.planning``, acts through activities (hand-off, letter, rendering)
and waits on a durable timer until the next date anything falls due, or
until a ledger-changed signal arrives. It closes when nothing overdue is
owed any more or when a user closes it.
"""

from __future__ import annotations

from datetime import date, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.business_days import business_date, run_moment, wait_until
    from domain.case import CasePlan, CaseSnapshot, CaseStage
    from domain.planning import plan_case
    from workflows.names import (
        CASE_STAGE,
        CASE_WORKFLOW,
        CLOSE_CASE_UPDATE,
        CUSTOMER_ACCOUNT,
        GET_STATE_QUERY,
        LEDGER_CHANGED_SIGNAL,
        NEXT_ACTION_DATE,
        OVERDUE_AMOUNT,
    )
    from workflows.payloads import (
        CaseInput,
        CaseProgressInput,
        CaseResult,
        CaseSetup,
        CaseState,
        CloseCaseInput,
        CloseRequest,
        HandoffInput,
        HandoffResult,
        LoadCaseInput,
        OpenCaseInput,
        PostLetterInput,
        PostLetterResult,
    )

DATABASE_TIMEOUT = timedelta(seconds=60)
RENDER_TIMEOUT = timedelta(minutes=5)
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)
CLOSED_STAGE = "closed"


@workflow.defn(name=CASE_WORKFLOW)
class CustomerCollectionsWorkflow:
    def __init__(self) -> None:
        self._ledger_changed = False
        self._close_request: CloseRequest | None = None
        self._result: CaseResult | None = None
        self._state: CaseState | None = None
        self._recorded: tuple[CaseStage, str, date | None] | None = None

    @workflow.signal(name=LEDGER_CHANGED_SIGNAL)
    def ledger_changed(self) -> None:
        """Wake the case: an invoice, payment, credit note or settlement changed."""
        self._ledger_changed = True

    @workflow.update(name=CLOSE_CASE_UPDATE)
    async def close_case(self, request: CloseRequest) -> CaseResult:
        """Close the case for the user's reason; returns the closed case."""
        self._close_request = request
        await workflow.wait_condition(lambda: self._result is not None)
        assert self._result is not None
        return self._result

    @close_case.validator
    def validate_close_case(self, request: CloseRequest) -> None:
        if not request.reason.strip():
            raise ValueError("reason is required to close a case")
        if not request.user.strip():
            raise ValueError("user is required to close a case")
        if self._result is not None or self._close_request is not None:
            raise ValueError("the case is already closed or closing")

    @workflow.query(name=GET_STATE_QUERY)
    def get_state(self) -> CaseState | None:
        return self._state

    @workflow.run
    async def run(self, case_input: CaseInput) -> CaseResult:
        account = case_input.customer_account
        info = workflow.info()
        workflow.upsert_search_attributes([CUSTOMER_ACCOUNT.value_set(account)])
        setup: CaseSetup = await workflow.execute_activity(
            "open_case_record",
            OpenCaseInput(
                customer_account=account,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                opened_at=workflow.now(),
                case_id=case_input.case_id,
            ),
            result_type=CaseSetup,
            start_to_close_timeout=DATABASE_TIMEOUT,
            retry_policy=RETRY,
        )
        zone = setup.timezone
        workflow.logger.info("case %s of customer %s running", setup.case_id, account)

        iterations = 0
        while True:
            iterations += 1
            if self._close_request is not None:
                # Plan once more so the closed case keeps today's amounts, even
                # when a payment arrived just before the close.
                today, plan = await self._plan(account, zone)
                self._state = CaseState(
                    customer_account=account,
                    case_id=setup.case_id,
                    business_date=today,
                    plan=plan,
                )
                return await self._close(
                    setup,
                    account,
                    today,
                    self._close_request.reason,
                    self._close_request.user,
                )
            self._ledger_changed = False

            today, plan = await self._plan(account, zone)
            if await self._act(setup, account, today, plan):
                today, plan = await self._plan(account, zone)

            state = CaseState(
                customer_account=account,
                case_id=setup.case_id,
                business_date=today,
                plan=plan,
            )
            if plan.close_reason is not None:
                self._state = state
                return await self._close(setup, account, today, plan.close_reason, None)
            await self._record_progress(setup, today, plan)
            self._state = state

            if self._close_request is None and (
                iterations >= case_input.max_iterations
                or workflow.info().is_continue_as_new_suggested()
            ):
                # A close update waits for the case to close, so it must not
                # block the hand-over: a close that arrives now closes this run.
                await workflow.wait_condition(
                    lambda: (
                        workflow.all_handlers_finished()
                        or self._close_request is not None
                    )
                )
                if self._close_request is None:
                    workflow.continue_as_new(
                        CaseInput(
                            customer_account=account,
                            case_id=setup.case_id,
                            max_iterations=case_input.max_iterations,
                        )
                    )
                continue

            timeout = None
            if plan.next_action_date is not None:
                timeout = wait_until(
                    workflow.now(), plan.next_action_date, zone, setup.run_hour
                )
                # A next action date of today means its run hour has passed
                # already; look again in a minute instead of spinning.
                timeout = max(timeout, timedelta(minutes=1))
            try:
                await workflow.wait_condition(
                    lambda: self._ledger_changed or self._close_request is not None,
                    timeout=timeout,
                    timeout_summary="until next action date",
                )
            except TimeoutError:
                pass

    async def _plan(self, account: str, zone: str) -> tuple[date, CasePlan]:
        """Load the customer's items and plan at the business date after loading.

        The date is taken after the load because the load may have been
        retried for days while the database was unreachable.
        """
        snapshot: CaseSnapshot = await workflow.execute_activity(
            "load_case_snapshot",
            LoadCaseInput(customer_account=account),
            result_type=CaseSnapshot,
            start_to_close_timeout=DATABASE_TIMEOUT,
            retry_policy=RETRY,
        )
        today = business_date(workflow.now(), zone)
        return today, plan_case(snapshot, today)

    async def _act(
        self, setup: CaseSetup, account: str, today: date, plan: CasePlan
    ) -> bool:
        """Run the hand-off and the letter the plan calls for; return whether
        anything was attempted, so the caller plans again."""
        attempted = False
        if plan.handoff is not None:
            attempted = True
            await workflow.execute_activity(
                "hand_off_to_agency",
                HandoffInput(
                    case_id=setup.case_id, customer_account=account, business_date=today
                ),
                result_type=HandoffResult,
                start_to_close_timeout=DATABASE_TIMEOUT,
                retry_policy=RETRY,
            )
        if plan.letter is not None:
            attempted = True
            posted: PostLetterResult = await workflow.execute_activity(
                "post_collection_letter",
                PostLetterInput(
                    case_id=setup.case_id, customer_account=account, business_date=today
                ),
                result_type=PostLetterResult,
                start_to_close_timeout=DATABASE_TIMEOUT,
                retry_policy=RETRY,
            )
            if posted.letter_id is not None:
                await workflow.execute_activity(
                    "render_collection_letter",
                    posted.letter_id,
                    result_type=str,
                    start_to_close_timeout=RENDER_TIMEOUT,
                    retry_policy=RETRY,
                )
        return attempted

    async def _record_progress(
        self, setup: CaseSetup, today: date, plan: CasePlan
    ) -> None:
        recorded = (plan.stage, str(plan.overdue_amount), plan.next_action_date)
        note = None
        if plan.letter is None and plan.skipped_letter_reason:
            note = plan.skipped_letter_reason
        if recorded == self._recorded and note is None:
            return
        await workflow.execute_activity(
            "record_case_progress",
            CaseProgressInput(
                case_id=setup.case_id,
                business_date=today,
                stage=plan.stage,
                overdue_amount=plan.overdue_amount,
                next_action_date=plan.next_action_date,
                note=note,
            ),
            start_to_close_timeout=DATABASE_TIMEOUT,
            retry_policy=RETRY,
        )
        self._recorded = recorded
        next_action = (
            run_moment(plan.next_action_date, setup.timezone, setup.run_hour)
            if plan.next_action_date
            else None
        )
        updates = [
            CASE_STAGE.value_set(plan.stage.value),
            OVERDUE_AMOUNT.value_set(float(plan.overdue_amount)),
        ]
        updates.append(
            NEXT_ACTION_DATE.value_set(next_action)
            if next_action is not None
            else NEXT_ACTION_DATE.value_unset()
        )
        workflow.upsert_search_attributes(updates)

    async def _close(
        self, setup: CaseSetup, account: str, today: date, reason: str, user: str | None
    ) -> CaseResult:
        plan = self._state.plan if self._state is not None else None
        await workflow.execute_activity(
            "close_case_record",
            CloseCaseInput(
                case_id=setup.case_id,
                business_date=today,
                reason=reason,
                closed_by=user,
                # A paid case keeps the stage it reached instead of "overdue".
                stage=plan.stage if plan and plan.overdue_amount > 0 else None,
                overdue_amount=plan.overdue_amount if plan else None,
            ),
            start_to_close_timeout=DATABASE_TIMEOUT,
            retry_policy=RETRY,
        )
        workflow.upsert_search_attributes(
            [
                CASE_STAGE.value_set(CLOSED_STAGE),
                OVERDUE_AMOUNT.value_unset(),
                NEXT_ACTION_DATE.value_unset(),
            ]
        )
        self._result = CaseResult(
            case_id=setup.case_id,
            customer_account=account,
            closed_on=today,
            close_reason=reason,
            closed_by=user,
        )
        if self._state is not None:
            self._state.closed = True
            self._state.close_reason = reason
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.logger.info("case %s closed: %s", setup.case_id, reason)
        return self._result
