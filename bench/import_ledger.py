"""Measure the ledger import of the sample file: time and peak memory.

Imports ``data/ar-ledger-sample.csv`` into a fresh SQLite database, as of
2013-06-30 and in full, then imports the full file a second time (which
changes nothing). Prints wall time per run and the process's peak resident
memory.

Usage: ``.venv/bin/python bench/import_ledger.py``
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.importer import import_ledger  # noqa: E402
from models.db import create_schema, make_engine  # noqa: E402

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "ar-ledger-sample.csv"


def timed_import(database: Path, as_of: date | None) -> tuple[float, int]:
    engine = make_engine(f"sqlite:///{database}")
    create_schema(engine)
    started = time.perf_counter()
    report = import_ledger(engine, SAMPLE, as_of=as_of)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, report.transactions_created


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        as_of_seconds, as_of_count = timed_import(
            Path(folder) / "as-of.db", date(2013, 6, 30)
        )
        full_seconds, full_count = timed_import(Path(folder) / "full.db", None)
        again_seconds, again_count = timed_import(Path(folder) / "full.db", None)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"as of 2013-06-30: {as_of_count} transactions in {as_of_seconds:.2f} s")
    print(f"full file:        {full_count} transactions in {full_seconds:.2f} s")
    print(f"same file again:  {again_count} transactions in {again_seconds:.2f} s")
    print(f"peak resident memory: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
