"""Collection letter codes and sequence rules in ``domain.codes``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.codes import (
    CollectionLetterCode,
    LetterSequenceStep,
    SequenceError,
    default_steps,
    next_code,
    step_for,
    validate_steps,
)
from domain.money import MINOR_UNITS

LETTER1 = CollectionLetterCode.LETTER1
LETTER2 = CollectionLetterCode.LETTER2
LETTER3 = CollectionLetterCode.LETTER3
LETTER4 = CollectionLetterCode.LETTER4
LETTER5 = CollectionLetterCode.LETTER5
COLLECTION = CollectionLetterCode.COLLECTION


def step(code: CollectionLetterCode, days: int = 14, **fees: str) -> LetterSequenceStep:
    return LetterSequenceStep(
        code, days, fees={currency: Decimal(fee) for currency, fee in fees.items()}
    )


def test_default_steps_days() -> None:
    steps = default_steps()

    assert [s.code for s in steps] == [LETTER1, LETTER2, LETTER3, COLLECTION]
    assert [s.days for s in steps] == [7, 14, 14, 14]


def test_default_steps_letter3_fee() -> None:
    steps = default_steps()

    assert steps[0].fees == {}
    assert steps[1].fees == {}
    assert steps[2].fees == {currency: Decimal("25") for currency in MINOR_UNITS}
    assert steps[3].fees == {}
    assert steps[2].fee_for("JPY") == Decimal("25")
    assert steps[2].fee_for("KWD") == Decimal("25.000")


def test_fee_for_missing_currency() -> None:
    assert step(LETTER1, USD="10.00").fee_for("EUR") == Decimal("0")


def test_code_rank_and_label() -> None:
    assert [code.rank for code in CollectionLetterCode] == [0, 1, 2, 3, 4, 5]
    assert LETTER1.label == "Collection letter 1"
    assert LETTER5.label == "Collection letter 5"
    assert COLLECTION.label == "Collection"


VALID = {
    "default": default_steps(),
    "one letter": [step(LETTER1, 7)],
    "letters without collection": [step(LETTER1, 7), step(LETTER2)],
    "five letters and collection": [
        step(LETTER1),
        step(LETTER2),
        step(LETTER3),
        step(LETTER4),
        step(LETTER5),
        step(COLLECTION),
    ],
    "gap in codes": [step(LETTER1), step(LETTER3), step(COLLECTION)],
    "days bounds": [step(LETTER1, 1), step(COLLECTION, 3650)],
    "zero fee": [step(LETTER1, USD="0")],
}


@pytest.mark.parametrize("steps", VALID.values(), ids=VALID.keys())
def test_validate_steps_accepts(steps: list[LetterSequenceStep]) -> None:
    assert validate_steps(steps) is None


INVALID = {
    "empty": ([], "a letter sequence needs at least one step"),
    "starts with collection": (
        [step(COLLECTION), step(LETTER1)],
        "a letter sequence must start with a letter, not collection",
    ),
    "only collection": (
        [step(COLLECTION)],
        "a letter sequence must start with a letter, not collection",
    ),
    "duplicate code": (
        [step(LETTER1), step(LETTER1)],
        "step 2: code letter1 must come after letter1",
    ),
    "out of order": (
        [step(LETTER1), step(LETTER3), step(LETTER2)],
        "step 3: code letter2 must come after letter3",
    ),
    "letter after collection": (
        [step(LETTER1), step(COLLECTION), step(LETTER2)],
        "step 3: code letter2 must come after collection",
    ),
    "zero days": ([step(LETTER1, 0)], "step 1: days 0 is invalid: expected 1 to 3650"),
    "negative days": (
        [step(LETTER1), step(LETTER2, -7)],
        "step 2: days -7 is invalid: expected 1 to 3650",
    ),
    "3651 days": (
        [step(LETTER1), step(COLLECTION, 3651)],
        "step 2: days 3651 is invalid: expected 1 to 3650",
    ),
    "negative fee": (
        [step(LETTER1), step(LETTER2), step(LETTER3, USD="-25.00")],
        "step 3: fee -25.00 USD must not be negative",
    ),
}


@pytest.mark.parametrize(("steps", "message"), INVALID.values(), ids=INVALID.keys())
def test_validate_steps_rejects(steps: list[LetterSequenceStep], message: str) -> None:
    with pytest.raises(SequenceError) as raised:
        validate_steps(steps)

    assert str(raised.value) == message


def test_sequence_error_is_value_error() -> None:
    assert issubclass(SequenceError, ValueError)


GAPPED = [step(LETTER1, 7), step(LETTER3, 21), step(COLLECTION, 30)]
TWO_LETTERS = [step(LETTER1, 7), step(LETTER2, 14)]

STEP_FOR = {
    "present code": (default_steps(), LETTER2, LETTER2, 14),
    "first code": (default_steps(), LETTER1, LETTER1, 7),
    "missing code moves up": (GAPPED, LETTER2, LETTER3, 21),
    "missing letter moves to collection": (default_steps(), LETTER4, COLLECTION, 14),
    "missing collection falls back to last": (TWO_LETTERS, COLLECTION, LETTER2, 14),
}


@pytest.mark.parametrize(
    ("steps", "code", "expected_code", "expected_days"),
    STEP_FOR.values(),
    ids=STEP_FOR.keys(),
)
def test_step_for_code(
    steps: list[LetterSequenceStep],
    code: CollectionLetterCode,
    expected_code: CollectionLetterCode,
    expected_days: int,
) -> None:
    found = step_for(steps, code)

    assert found.code is expected_code
    assert found.days == expected_days


NEXT_CODE = {
    "letter1 to letter2": (default_steps(), LETTER1, LETTER2),
    "letter3 to collection": (default_steps(), LETTER3, COLLECTION),
    "collection stays": (default_steps(), COLLECTION, COLLECTION),
    "skips missing code": (GAPPED, LETTER1, LETTER3),
    "missing code moves up": (GAPPED, LETTER2, LETTER3),
    "last letter stays": (TWO_LETTERS, LETTER2, LETTER2),
    "beyond last step stays": (TWO_LETTERS, LETTER4, LETTER4),
}


@pytest.mark.parametrize(
    ("steps", "code", "expected"), NEXT_CODE.values(), ids=NEXT_CODE.keys()
)
def test_next_code_after(
    steps: list[LetterSequenceStep],
    code: CollectionLetterCode,
    expected: CollectionLetterCode,
) -> None:
    assert next_code(steps, code) is expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nb", "bokmål"), ("nb_NO", "bokmål"), ("no", "bokmål"), ("nn", "bokmål"),
     ("de", "default"), ("en_GB", "default")],
)  # fmt: skip
def test_step_text_for_language(language: str, expected: str) -> None:
    step = LetterSequenceStep(
        CollectionLetterCode.LETTER1, 7, "default", texts={"nb": "bokmål"}
    )

    assert step.text_for(language) == expected
