"""Measure collection letter rendering: time per letter and event-loop stalls.

Renders the same one-page letter N times three ways and prints a table:

- inline: ``html_to_pdf`` called on the event loop, as a naive async
  activity would;
- threads: in a thread pool, which WeasyPrint's GIL-bound work serializes;
- processes: in the worker's process pool (``worker.make_render_pool``).

While each runs, a ticker on the event loop records its longest gap between
10 ms ticks: that is how long the worker could not poll Temporal or run
workflow tasks.

Usage: ``.venv/bin/python bench/render_letters.py [--letters 40] [--processes 2]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from documents.letters import build_letter_context, html_to_pdf, render_letter_html  # noqa: E402
from domain.case import TransactionKind  # noqa: E402
from domain.codes import CollectionLetterCode  # noqa: E402
from models import CollectionLetter, CollectionLetterLine, Customer  # noqa: E402
from settings import CompanySettings  # noqa: E402
from worker import make_render_pool  # noqa: E402


def sample_html() -> str:
    customer = Customer(
        account="5573-KSOIA",
        name="Customer 5573-KSOIA",
        language="en",
        currency="USD",
        address="Country code 406",
    )
    letter = CollectionLetter(
        id=1,
        number="CL0000001",
        customer_account=customer.account,
        case_id=1,
        letter_date=date(2024, 3, 8),
        code=CollectionLetterCode.LETTER1,
        code_text="Our records show that the invoices below are past due.",
        currency="USD",
        language="en",
        overdue_amount=Decimal("298.88"),
        credit_amount=Decimal("0"),
        fee=Decimal("0"),
        total_due=Decimal("298.88"),
    )
    lines = [
        CollectionLetterLine(
            id=index,
            letter_id=1,
            transaction_id=index,
            kind=TransactionKind.INVOICE,
            document_number=f"00000{index}",
            due_date=date(2024, 3, 1),
            amount=amount,
            open_amount=amount,
            days_overdue=7,
            code=CollectionLetterCode.LETTER1,
            advances=True,
        )
        for index, amount in enumerate([Decimal("98.88"), Decimal("200.00")], start=1)
    ]
    context = build_letter_context(letter, lines, customer, CompanySettings())
    return render_letter_html(context)


async def measure(
    mode: str, html: str, letters: int, executor: Executor | None
) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    max_gap = 0.0
    running = True

    async def ticker() -> None:
        nonlocal max_gap
        last = time.perf_counter()
        while running:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            max_gap = max(max_gap, now - last - 0.01)
            last = now

    tick_task = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    if executor is None:
        for _ in range(letters):
            html_to_pdf(html)
            await asyncio.sleep(0)
    else:
        await asyncio.gather(
            *(loop.run_in_executor(executor, html_to_pdf, html) for _ in range(letters))
        )
    elapsed = time.perf_counter() - started
    running = False
    await tick_task
    return {
        "letters_per_second": letters / elapsed,
        "ms_per_letter": elapsed / letters * 1000,
        "max_loop_stall_ms": max_gap * 1000,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=40, help="letters per mode")
    parser.add_argument("--processes", type=int, default=2, help="render processes")
    args = parser.parse_args()

    html = sample_html()
    html_to_pdf(html)  # pay WeasyPrint's first-use cost outside the measurement
    single = []
    for _ in range(10):
        started = time.perf_counter()
        html_to_pdf(html)
        single.append((time.perf_counter() - started) * 1000)

    results = {"inline": await measure("inline", html, args.letters, None)}
    with ThreadPoolExecutor(max_workers=args.processes) as threads:
        results["threads"] = await measure("threads", html, args.letters, threads)
    with make_render_pool(args.processes) as pool:
        # Warm every process up before measuring.
        await asyncio.gather(
            *(asyncio.get_running_loop().run_in_executor(pool, html_to_pdf, html)
              for _ in range(args.processes))
        )  # fmt: skip
        results["processes"] = await measure("processes", html, args.letters, pool)

    print(f"machine: {os.cpu_count()} CPUs; {args.letters} letters per mode")
    print(f"one letter, median of 10: {statistics.median(single):.0f} ms")
    print(f"{'mode':<10} {'letters/s':>10} {'ms/letter':>10} {'max loop stall ms':>18}")
    for mode, row in results.items():
        print(
            f"{mode:<10} {row['letters_per_second']:>10.1f} {row['ms_per_letter']:>10.0f} "
            f"{row['max_loop_stall_ms']:>18.0f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
