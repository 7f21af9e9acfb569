"""Names that the workflows, the worker and their clients must agree on."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

CASE_WORKFLOW = "CustomerCollections"
OVERDUE_SCAN_WORKFLOW = "OverdueScan"
OVERDUE_SCAN_WORKFLOW_ID = "overdue-scan"

LEDGER_CHANGED_SIGNAL = "ledger_changed"
CLOSE_CASE_UPDATE = "close_case"
GET_STATE_QUERY = "get_state"

CUSTOMER_ACCOUNT = SearchAttributeKey.for_keyword("CustomerAccount")
CASE_STAGE = SearchAttributeKey.for_keyword("CaseStage")
OVERDUE_AMOUNT = SearchAttributeKey.for_float("OverdueAmount")
NEXT_ACTION_DATE = SearchAttributeKey.for_datetime("NextActionDate")

SEARCH_ATTRIBUTES = {
    CUSTOMER_ACCOUNT.name: "Keyword",
    CASE_STAGE.name: "Keyword",
    OVERDUE_AMOUNT.name: "Double",
    NEXT_ACTION_DATE.name: "Datetime",
}
"""Custom search attributes and their types, registered on the Temporal server."""


def case_workflow_id(customer_account: str) -> str:
    return f"collections-{customer_account}"
