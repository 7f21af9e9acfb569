"""The customer ledger: posting transactions, settling credits, importing files.

``ledger.posting`` is the only code that inserts customer transactions.
``ledger.importer`` reads a CSV ledger (``docs/ledger-format.md``) and posts
it in one database transaction. ``ledger.cli`` is the ``overdue`` command.
"""

from ledger.importer import ImportReport, LedgerImportError, RowError, import_ledger
from ledger.posting import PostingError, post_transaction, upsert_customer

__all__ = [
    "ImportReport",
    "LedgerImportError",
    "PostingError",
    "RowError",
    "import_ledger",
    "post_transaction",
    "upsert_customer",
]
