"""Importing ledger files: the canonical CSV format and the AR sample's layout."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

import ledger.importer
from domain.case import TransactionKind
from ledger.cli import main
from ledger.csv_format import CANONICAL_COLUMNS
from ledger.importer import LedgerImportError, RowError, import_ledger
from models.ledger import Customer, CustomerTransaction, LedgerImport, Settlement

SAMPLE_LEDGER = Path(__file__).resolve().parent.parent / "data" / "ar-ledger-sample.csv"

CUSTOMER_ROW = {
    "record_type": "customer",
    "customer_account": "C-1",
    "name": "Fjord Fisk AS",
    "language": "nb",
    "currency": "NOK",
    "address": "Kaigata 1\\n5003 Bergen",
    "email": "ap@fjordfisk.example",
    "posting_profile": "GEN",
}


def invoice_row(
    number: str, amount: str, dated: str, due: str, **changes: str
) -> dict[str, str]:
    row = {
        "record_type": "invoice",
        "customer_account": "C-1",
        "document_number": number,
        "transaction_date": dated,
        "due_date": due,
        "currency": "NOK",
        "amount": amount,
    }
    return row | changes


def credit_row(
    kind: str, number: str, amount: str, dated: str, settles: str = "", **changes: str
) -> dict[str, str]:
    row = {
        "record_type": kind,
        "customer_account": "C-1",
        "document_number": number,
        "transaction_date": dated,
        "currency": "NOK",
        "amount": amount,
        "settles": settles,
    }
    return row | changes


# The customer row comes last: an import resolves customers before it posts.
BASIC_LEDGER = [
    invoice_row("INV-1", "1000.00", "2024-01-05", "2024-02-04"),
    invoice_row(
        "INV-2", "250.50", "2024-01-10", "2024-02-09", collections_status="disputed"
    ),
    credit_row("payment", "PAY-1", "600.00", "2024-02-01", settles="INV-1"),
    credit_row("credit_note", "CN-1", "100.00", "2024-02-15"),
    CUSTOMER_ROW,
]


def write_ledger(
    directory: Path, rows: list[dict[str, str]], name: str = "ledger.csv"
) -> Path:
    """Write rows in the canonical format, one physical line each after the header."""
    path = directory / name
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=CANONICAL_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def table_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            table.__name__: session.exec(select(func.count()).select_from(table)).one()
            for table in (Customer, CustomerTransaction, Settlement, LedgerImport)
        }


def load_transactions(engine: Engine) -> dict[str, CustomerTransaction]:
    with Session(engine) as session:
        rows = session.exec(select(CustomerTransaction)).all()
        return {f"{row.kind.value}:{row.document_number}": row for row in rows}


def ledger_state(engine: Engine) -> list[tuple[object, ...]]:
    """Return every transaction and settlement as plain values, for comparison."""
    with Session(engine) as session:
        transactions = session.exec(select(CustomerTransaction)).all()
        settlements = session.exec(select(Settlement)).all()
        return sorted(
            [
                (
                    "transaction",
                    row.customer_account,
                    row.kind.value,
                    row.document_number,
                    row.transaction_date,
                    row.due_date,
                    row.amount,
                    row.open_amount,
                    row.is_open,
                )
                for row in transactions
            ]
            + [
                (
                    "settlement",
                    row.debit_id,
                    row.credit_id,
                    row.amount,
                    row.settlement_date,
                )
                for row in settlements
            ],
            key=repr,
        )


def error_positions(error: LedgerImportError) -> set[tuple[int, str]]:
    return {(row_error.line, row_error.column) for row_error in error.errors}


def reason_at(error: LedgerImportError, line: int, column: str) -> str:
    reasons = [e.reason for e in error.errors if (e.line, e.column) == (line, column)]
    assert len(reasons) == 1, (
        f"expected one error at line {line}, column {column}: {error}"
    )
    return reasons[0]


def test_canonical_file_imported(engine: Engine, tmp_path: Path) -> None:
    report = import_ledger(engine, write_ledger(tmp_path, BASIC_LEDGER))

    assert report.customers_created == 1
    assert report.transactions_created == 4
    assert report.transactions_unchanged == 0
    assert report.accounts == {"C-1"}
    assert report.import_id is not None

    stored = load_transactions(engine)
    assert stored["invoice:INV-1"].open_amount == Decimal("300.00"), (
        "600 named + 100 unnamed"
    )
    assert stored["invoice:INV-2"].open_amount == Decimal("250.50")
    assert stored["invoice:INV-2"].collections_status == "disputed"
    assert stored["payment:PAY-1"].open_amount == Decimal("0")
    assert stored["credit_note:CN-1"].amount == Decimal("-100.00")
    assert stored["credit_note:CN-1"].open_amount == Decimal("0")
    assert stored["credit_note:CN-1"].due_date == date(2024, 2, 15)

    with Session(engine) as session:
        customer = session.get(Customer, "C-1")
        assert customer is not None
        assert customer.address == "Kaigata 1\n5003 Bergen"
        assert customer.language == "nb"
        assert customer.currency == "NOK"
        record = session.get(LedgerImport, report.import_id)
        assert record is not None
        assert record.source_format == "canonical"
        assert record.transactions_created == 4
        assert len(record.sha256) == 64


def test_import_twice_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write_ledger(tmp_path, BASIC_LEDGER)
    import_ledger(engine, path)
    before = ledger_state(engine)

    report = import_ledger(engine, path)

    assert report.customers_created == 0
    assert report.customers_updated == 0
    assert report.customers_unchanged == 1
    assert report.transactions_created == 0
    assert report.transactions_unchanged == 4
    assert report.accounts == set()
    assert ledger_state(engine) == before
    assert table_counts(engine)["LedgerImport"] == 2


def test_changed_customer_row_updates_customer(engine: Engine, tmp_path: Path) -> None:
    import_ledger(engine, write_ledger(tmp_path, BASIC_LEDGER))
    renamed = BASIC_LEDGER[:-1] + [CUSTOMER_ROW | {"name": "Fjord Fisk Holding AS"}]

    report = import_ledger(engine, write_ledger(tmp_path, renamed, "renamed.csv"))

    assert report.customers_updated == 1
    assert report.accounts == {"C-1"}
    with Session(engine) as session:
        customer = session.get(Customer, "C-1")
        assert customer is not None
        assert customer.name == "Fjord Fisk Holding AS"


def test_errors_reported_with_line_and_column(engine: Engine, tmp_path: Path) -> None:
    import_ledger(engine, write_ledger(tmp_path, BASIC_LEDGER))
    before = table_counts(engine)
    # The header is line 1, so rows[n] is on line n + 2.
    rows = [
        CUSTOMER_ROW,
        invoice_row("INV-3", "10.00", "2024-13-01", "2024-02-01"),
        invoice_row("INV-4", "12,50", "2024-01-01", "2024-02-01"),
        invoice_row("INV-5", "10.00", "2024-01-01", "2024-02-01", currency="XYZ"),
        invoice_row("INV-1", "999.00", "2024-01-05", "2024-02-04"),
        invoice_row("INV-6", "1.00", "2024-01-01", "2024-02-01", record_type="refund"),
        invoice_row(
            "INV-7", "1.00", "2024-01-01", "2024-02-01", customer_account="C-9"
        ),
        credit_row("payment", "PAY-2", "10.00", "2024-03-01", settles="NOPE"),
        invoice_row("INV-8", "10.00", "2024-01-01", "2024-02-01"),
        invoice_row("INV-8", "10.00", "2024-01-01", "2024-02-01"),
        invoice_row("INV-9", "-10.00", "2024-01-01", "2024-02-01"),
        invoice_row("INV-10", "10.001", "2024-01-01", "2024-02-01"),
        invoice_row("INV-11", "10.00", "2024-02-01", "2024-01-01"),
        invoice_row("INV-12", "10.00", "2024-01-01", "2024-02-01", currency="EUR"),
        invoice_row("INV-13", "10.00", "2024-01-01", "2024-02-01"),
    ]

    with pytest.raises(LedgerImportError) as raised:
        import_ledger(engine, write_ledger(tmp_path, rows, "bad.csv"))

    error = raised.value
    assert error_positions(error) == {
        (3, "transaction_date"),
        (4, "amount"),
        (5, "currency"),
        (6, "amount"),
        (7, "record_type"),
        (8, "customer_account"),
        (9, "settles"),
        (11, "document_number"),
        (12, "amount"),
        (13, "amount"),
        (14, "due_date"),
        (15, "currency"),
    }
    assert "invalid date '2024-13-01'" in reason_at(error, 3, "transaction_date")
    assert "invalid amount '12,50'" in reason_at(error, 4, "amount")
    assert "unknown currency 'XYZ'" in reason_at(error, 5, "currency")
    assert "already in the database with amount 1000" in reason_at(error, 6, "amount")
    assert "unknown record type 'refund'" in reason_at(error, 7, "record_type")
    assert "customer 'C-9' not found" in reason_at(error, 8, "customer_account")
    assert "'NOPE'" in reason_at(error, 9, "settles")
    assert "already on line 10" in reason_at(error, 11, "document_number")
    assert "amounts are positive" in reason_at(error, 12, "amount")
    assert "more decimals" in reason_at(error, 13, "amount")
    assert "before the transaction date" in reason_at(error, 14, "due_date")
    assert "multi-currency accounts are not supported" in reason_at(
        error, 15, "currency"
    )
    assert table_counts(engine) == before
    assert "invoice:INV-13" not in load_transactions(engine)


def test_missing_column_reported_on_header(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "no-due-date.csv"
    path.write_text(
        "record_type,customer_account,name,currency,document_number,transaction_date,amount\n"
        "customer,C-1,Fjord Fisk AS,NOK,,,\n"
        "invoice,C-1,,NOK,INV-1,2024-01-05,100.00\n",
        encoding="utf-8",
    )

    with pytest.raises(LedgerImportError) as raised:
        import_ledger(engine, path)

    assert error_positions(raised.value) == {(1, "due_date")}
    assert "first on line 3" in raised.value.errors[0].reason
    assert table_counts(engine)["Customer"] == 0


def test_unknown_and_repeated_header_columns(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(
        "record_type,customer_account,ammount,currency,currency\n", encoding="utf-8"
    )

    with pytest.raises(LedgerImportError) as raised:
        import_ledger(engine, path)

    assert error_positions(raised.value) == {(1, "ammount"), (1, "currency")}


def test_unused_column_rejected(engine: Engine, tmp_path: Path) -> None:
    rows = [CUSTOMER_ROW | {"amount": "10.00"}]

    with pytest.raises(LedgerImportError) as raised:
        import_ledger(engine, write_ledger(tmp_path, rows))

    assert error_positions(raised.value) == {(2, "amount")}
    assert "customer rows do not use this column" in raised.value.errors[0].reason


def test_credit_cannot_settle_later_invoice(engine: Engine, tmp_path: Path) -> None:
    rows = [
        CUSTOMER_ROW,
        credit_row("payment", "PAY-1", "10.00", "2024-01-01", settles="INV-1"),
        invoice_row("INV-1", "10.00", "2024-01-05", "2024-02-04"),
    ]

    with pytest.raises(LedgerImportError) as raised:
        import_ledger(engine, write_ledger(tmp_path, rows))

    assert error_positions(raised.value) == {(3, "settles")}
    assert "after this payment" in raised.value.errors[0].reason


def test_invalid_customer_row_reported(engine: Engine, tmp_path: Path) -> None:
    rows = [
        CUSTOMER_ROW | {"posting_profile": "VIP"},
        CUSTOMER_ROW | {"customer_account": "C-2", "language": "norsk"},
        CUSTOMER_ROW,
        invoice_row(
            "INV-1", "10.00", "2024-01-05", "2024-02-04", customer_account="C-2"
        ),
    ]

    with pytest.raises(LedgerImportError) as raised:
        import_ledger(engine, write_ledger(tmp_path, rows))

    assert error_positions(raised.value) == {
        (2, "posting_profile"),
        (3, "language"),
        (4, "customer_account"),
    }
    assert "already defined on line 2" in reason_at(raised.value, 4, "customer_account")


def test_invalid_utf8_reported_with_line(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        b"record_type,customer_account,name,currency\ncustomer,C-1,Bj\xf8rn,NOK\n"
    )

    with pytest.raises(LedgerImportError) as raised:
        import_ledger(engine, path)

    assert error_positions(raised.value) == {(2, "")}
    assert "UTF-8" in raised.value.errors[0].reason


def test_error_message_lists_first_fifty() -> None:
    errors = [RowError(line, "amount", "invalid amount") for line in range(2, 62)]

    message = str(LedgerImportError(errors))

    lines = message.splitlines()
    assert lines[0] == "The ledger file has 60 errors:"
    assert lines[1] == "line 2: column amount: invalid amount"
    assert len(lines) == 1 + 50 + 1
    assert lines[-1] == "and 10 more"


def test_database_failure_rolls_back_everything(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_post = ledger.importer.post_transaction
    calls = 0

    def post_then_fail(session: Session, **arguments: object) -> CustomerTransaction:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return real_post(session, **arguments)  # type: ignore[arg-type]

    monkeypatch.setattr(ledger.importer, "post_transaction", post_then_fail)

    with pytest.raises(OperationalError):
        import_ledger(engine, write_ledger(tmp_path, BASIC_LEDGER))

    assert calls == 3
    assert table_counts(engine) == {
        "Customer": 0,
        "CustomerTransaction": 0,
        "Settlement": 0,
        "LedgerImport": 0,
    }


def test_as_of_drops_later_records(engine: Engine, tmp_path: Path) -> None:
    report = import_ledger(
        engine, write_ledger(tmp_path, BASIC_LEDGER), as_of=date(2024, 1, 31)
    )

    assert report.rows_skipped_after_as_of == 2
    assert report.transactions_created == 2
    stored = load_transactions(engine)
    assert stored["invoice:INV-1"].open_amount == Decimal("1000.00")
    assert "payment:PAY-1" not in stored

    later = import_ledger(
        engine, write_ledger(tmp_path, BASIC_LEDGER), as_of=date(2024, 2, 29)
    )
    assert later.transactions_unchanged == 2
    assert later.transactions_created == 2
    assert load_transactions(engine)["invoice:INV-1"].open_amount == Decimal("300.00")


def test_shift_to_requires_as_of(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="requires as_of"):
        import_ledger(
            engine, write_ledger(tmp_path, BASIC_LEDGER), shift_to=date(2024, 6, 1)
        )


def test_progress_reaches_total(engine: Engine, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []

    import_ledger(
        engine,
        write_ledger(tmp_path, BASIC_LEDGER),
        progress=lambda *c: calls.append(c),
    )

    assert calls == [(written, 5) for written in range(1, 6)]


def read_sample() -> list[dict[str, str]]:
    with SAMPLE_LEDGER.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def us_date(text: str) -> date:
    return datetime.strptime(text, "%m/%d/%Y").date()


def test_sample_as_of_mid_2013(engine: Engine) -> None:
    as_of = date(2013, 6, 30)
    sample = read_sample()
    open_rows = [
        row
        for row in sample
        if us_date(row["InvoiceDate"]) <= as_of < us_date(row["SettledDate"])
    ]
    expected_open_total = sum(
        (Decimal(row["InvoiceAmount"]) for row in open_rows), Decimal(0)
    )
    expected_skipped = sum(us_date(row["InvoiceDate"]) > as_of for row in sample) + sum(
        us_date(row["SettledDate"]) > as_of for row in sample
    )

    report = import_ledger(engine, SAMPLE_LEDGER, as_of=as_of)

    assert report.customers_created == 100
    assert report.rows_skipped_after_as_of == expected_skipped
    with Session(engine) as session:
        open_invoices = session.exec(
            select(CustomerTransaction).where(
                CustomerTransaction.kind == TransactionKind.INVOICE,
                CustomerTransaction.is_open,
            )
        ).all()
        open_payments = session.exec(
            select(CustomerTransaction).where(
                CustomerTransaction.kind == TransactionKind.PAYMENT,
                CustomerTransaction.is_open,
            )
        ).all()
    past_due = [row for row in open_invoices if row.due_date < as_of]

    assert len(open_invoices) == 84
    assert len(past_due) == 12
    assert len({row.customer_account for row in past_due}) == 12
    assert (
        sum((row.open_amount for row in open_invoices), Decimal(0))
        == expected_open_total
    )
    assert all(row.open_amount == row.amount for row in open_invoices)
    assert open_payments == []


def test_sample_shifted_to_later_date(engine: Engine) -> None:
    as_of = date(2013, 6, 30)
    shift_to = date(2024, 3, 15)  # 3,911 days later

    report = import_ledger(engine, SAMPLE_LEDGER, as_of=as_of, shift_to=shift_to)

    stored = load_transactions(engine)
    # Invoice 0728378151 is dated 6/25/2013 and due 7/25/2013 in the file.
    shifted = stored["invoice:0728378151"]
    assert shifted.transaction_date == date(2024, 3, 10)
    assert shifted.due_date == date(2024, 4, 9)
    assert shifted.is_open
    with Session(engine) as session:
        record = session.get(LedgerImport, report.import_id)
        assert record is not None
        assert record.shift_days == 3911
        assert record.as_of == as_of


def test_sample_keeps_leading_zeros(engine: Engine) -> None:
    sample = read_sample()
    padded = {
        row["invoiceNumber"] for row in sample if row["invoiceNumber"].startswith("0")
    }

    import_ledger(engine, SAMPLE_LEDGER)

    stored = load_transactions(engine)
    assert len(padded) > 0
    assert all(f"invoice:{number}" in stored for number in padded)
    first = stored["invoice:0000611365"]
    assert first.amount == Decimal("55.94")
    assert first.transaction_date == date(2013, 1, 2)
    assert first.due_date == date(2013, 2, 1)
    assert not first.is_open
    assert stored["payment:PAY-0000611365"].transaction_date == date(2013, 1, 15)
    assert stored["payment:PAY-0000611365"].amount == Decimal("-55.94")
    with Session(engine) as session:
        customer = session.get(Customer, "0379-NEVHP")
        assert customer is not None
        assert customer.name == "Customer 0379-NEVHP"
        assert customer.address == "Country code 391"
        assert customer.currency == "USD"


def test_sample_short_amounts_exact(engine: Engine, tmp_path: Path) -> None:
    header = SAMPLE_LEDGER.read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "short.csv"
    path.write_text(
        header + "\n"
        "391,0379-NEVHP,4/6/2013,0000000001,1/2/2013,2/1/2013,94,No,,Paper,0,0\n"
        "391,0379-NEVHP,4/6/2013,0000000002,1/2/2013,2/1/2013,55.9,Yes,,Paper,0,0\n",
        encoding="utf-8",
    )

    report = import_ledger(engine, path)

    assert report.transactions_created == 2, "no SettledDate means no payment"
    stored = load_transactions(engine)
    assert stored["invoice:0000000001"].open_amount == Decimal("94.00")
    assert stored["invoice:0000000002"].open_amount == Decimal("55.90")
    assert stored["invoice:0000000002"].collections_status == "not_disputed"


def test_sample_layout_errors_name_its_columns(engine: Engine, tmp_path: Path) -> None:
    header = SAMPLE_LEDGER.read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "bad-sample.csv"
    path.write_text(
        header + "\n"
        "391,0379-NEVHP,4/6/2013,0000000001,2013-01-02,2/1/2013,94,No,1/15/2013,Paper,13,0\n"
        "406,0379-NEVHP,4/6/2013,0000000002,1/2/2013,2/1/2013,94,No,1/15/2013,Paper,13,0\n"
        "391,0379-NEVHP,4/6/2013,0000000003,1/2/2013,2/1/2013,9.4.1,No,13/1/2013,Paper,13,0\n",
        encoding="utf-8",
    )

    with pytest.raises(LedgerImportError) as raised:
        import_ledger(engine, path)

    assert error_positions(raised.value) == {
        (2, "InvoiceDate"),
        (3, "countryCode"),
        (4, "InvoiceAmount"),
        (4, "SettledDate"),
    }
    assert "expected M/D/YYYY" in reason_at(raised.value, 2, "InvoiceDate")


def test_cli_import_without_cases(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OVERDUE_DATABASE_URL", database_url)
    path = write_ledger(tmp_path, BASIC_LEDGER)

    status = main(["import", str(path), "--no-cases"])

    assert status == 0
    assert "transactions 4 created" in capsys.readouterr().out
    assert table_counts(engine)["CustomerTransaction"] == 4


def test_cli_prints_errors_per_line(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OVERDUE_DATABASE_URL", database_url)
    rows = [CUSTOMER_ROW, invoice_row("INV-1", "ten", "2024-01-05", "2024-02-04")]
    path = write_ledger(tmp_path, rows)

    status = main(["import", str(path), "--no-cases"])

    assert status == 2
    errors = capsys.readouterr().err.splitlines()
    assert f"{path}:3: column amount: invalid amount 'ten'" in errors[0]
    assert errors[-1] == f"{path}: 1 error; nothing was imported"
    assert table_counts(engine)["Customer"] == 0


def test_cli_reports_missing_schema(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("OVERDUE_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")

    status = main(["import", str(write_ledger(tmp_path, BASIC_LEDGER)), "--no-cases"])

    assert status == 1
    assert "run `overdue init-db` first" in capsys.readouterr().err


def test_documented_example_imports(engine: Engine, tmp_path: Path) -> None:
    document = (SAMPLE_LEDGER.parent.parent / "docs" / "ledger-format.md").read_text(
        encoding="utf-8"
    )
    example = document.split("```csv\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.csv"
    path.write_text(example, encoding="utf-8")

    report = import_ledger(engine, path)

    assert report.customers_created == 2
    assert report.transactions_created == 5
    stored = load_transactions(engine)
    assert stored["invoice:INV-1001"].open_amount == Decimal("300.00")
    assert stored["invoice:INV-1002"].open_amount == Decimal("250.50")
    assert stored["invoice:INV-1002"].collections_status == "disputed"
    assert stored["fee:FEE-1"].open_amount == Decimal("15.00")
    with Session(engine) as session:
        customer = session.get(Customer, "20077")
        assert customer is not None
        assert customer.address == "Talstrasse 5\n6020 Innsbruck, Austria"


def test_huge_amount_reported(engine: Engine, tmp_path: Path) -> None:
    rows = [
        CUSTOMER_ROW,
        invoice_row("INV-1", "100000000000000000000", "2024-01-01", "2024-02-01"),
        invoice_row("INV-2", "1" * 41, "2024-01-01", "2024-02-01"),
    ]

    with pytest.raises(LedgerImportError) as raised:
        import_ledger(engine, write_ledger(tmp_path, rows))

    assert error_positions(raised.value) == {(3, "amount"), (4, "amount")}
    assert reason_at(raised.value, 3, "amount") == (
        "amount 100000000000000000000 is too large: it must be below "
        "1,000,000,000,000,000"
    )
    assert table_counts(engine)["CustomerTransaction"] == 0
