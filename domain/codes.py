"""Collection letter codes and letter sequences.

A sequence is an ordered list of steps, letter 1 to letter 5 and then
``collection``, the hand-off to a collection agency. Each step waits a number
of days: the first counts from the invoice's due date (the grace period),
every later one from the date of the invoice's previous letter.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from domain.money import MAX_AMOUNT, MINOR_UNITS


class CollectionLetterCode(str, Enum):
    """A step of a collection letter sequence, in escalation order."""

    LETTER1 = "letter1"
    LETTER2 = "letter2"
    LETTER3 = "letter3"
    LETTER4 = "letter4"
    LETTER5 = "letter5"
    COLLECTION = "collection"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    @property
    def label(self) -> str:
        if self is CollectionLetterCode.COLLECTION:
            return "Collection"
        return f"Collection letter {self.rank + 1}"


_ORDER = list(CollectionLetterCode)


@dataclass
class LetterSequenceStep:
    """One code of a sequence with its waiting days, fees and letter text."""

    code: CollectionLetterCode
    days: int
    text: str = ""
    """Letter text for customers whose language has no entry in ``texts``."""
    fees: dict[str, Decimal] = field(default_factory=dict)
    """Fee per currency, charged once per letter that carries this code."""
    texts: dict[str, str] = field(default_factory=dict)
    """Letter text per language code, such as ``{"nb": "..."}``."""

    def fee_for(self, currency: str) -> Decimal:
        return self.fees.get(currency, Decimal(0))

    def text_for(self, language: str) -> str:
        """Return the text for a customer language such as ``nb`` or ``nb_NO``.

        Norwegian ``no`` and ``nn`` customers get the ``nb`` text when there is
        no text of their own; any other language missing from ``texts`` gets
        ``text``.
        """
        primary = language.replace("-", "_").split("_")[0].lower()
        for candidate in (language, primary, "nb" if primary in ("no", "nn") else None):
            if candidate and candidate in self.texts:
                return self.texts[candidate]
        return self.text


class SequenceError(ValueError):
    """A letter sequence whose steps cannot be followed."""


def validate_steps(steps: list[LetterSequenceStep]) -> None:
    """Raise ``SequenceError`` unless the steps form a usable sequence.

    The codes must be unique and in escalation order, start with at least one
    letter, and ``collection`` may only be the last step. Days must be 1 to
    3650 and fees must not be negative.
    """
    if not steps:
        raise SequenceError("a letter sequence needs at least one step")
    if steps[0].code is CollectionLetterCode.COLLECTION:
        raise SequenceError(
            "a letter sequence must start with a letter, not collection"
        )
    for index, step in enumerate(steps):
        if index and step.code.rank <= steps[index - 1].code.rank:
            raise SequenceError(
                f"step {index + 1}: code {step.code.value} must come after "
                f"{steps[index - 1].code.value}"
            )
        if not 1 <= step.days <= 3650:
            raise SequenceError(
                f"step {index + 1}: days {step.days} is invalid: expected 1 to 3650"
            )
        for currency, fee in step.fees.items():
            if fee < 0:
                raise SequenceError(
                    f"step {index + 1}: fee {fee} {currency} must not be negative"
                )
            if fee >= MAX_AMOUNT:
                raise SequenceError(
                    f"step {index + 1}: fee {fee} {currency} is too large: it must "
                    f"be below {MAX_AMOUNT:,}"
                )


def step_for(
    steps: list[LetterSequenceStep], code: CollectionLetterCode
) -> LetterSequenceStep:
    """Return the step of ``code``, or the next higher step the sequence has.

    A code can be missing when a user changed the sequence after the code was
    set on an invoice. Moving up keeps escalation going without skipping back.
    """
    for step in steps:
        if step.code.rank >= code.rank:
            return step
    return steps[-1]


def next_code(
    steps: list[LetterSequenceStep], code: CollectionLetterCode
) -> CollectionLetterCode:
    """Return the code after ``code``, or ``code`` itself at the end."""
    for step in steps:
        if step.code.rank > code.rank:
            return step.code
    return code


def default_steps() -> list[LetterSequenceStep]:
    """Return the standard sequence: letters after 7, 14, 14 days, then collection."""
    return [
        LetterSequenceStep(
            CollectionLetterCode.LETTER1,
            7,
            "Our records show that the items below are past due. If you have "
            "already paid, please disregard this letter. Otherwise, please pay "
            "the total due by the date given below.",
            texts={
                "nb": "Etter vår oversikt er postene nedenfor forfalt. Har du "
                "allerede betalt, kan du se bort fra dette brevet. Hvis ikke, ber vi "
                "deg betale totalbeløpet innen fristen nedenfor."
            },
        ),
        LetterSequenceStep(
            CollectionLetterCode.LETTER2,
            14,
            "We have not received payment for the items below despite our "
            "earlier reminder. Please pay the total due by the date given below.",
            texts={
                "nb": "Vi har ikke mottatt betaling for postene nedenfor til tross "
                "for tidligere påminnelse. Vennligst betal totalbeløpet innen fristen "
                "nedenfor."
            },
        ),
        LetterSequenceStep(
            CollectionLetterCode.LETTER3,
            14,
            "Final notice. The items below remain unpaid and a reminder fee has "
            "been added. Unless the total due is paid by the date given below, the "
            "claim will be handed to a collection agency without further notice.",
            {currency: Decimal("25") for currency in MINOR_UNITS},
            texts={
                "nb": "Siste varsel. Postene nedenfor er fortsatt ubetalt, og et "
                "purregebyr er lagt til. Betales ikke totalbeløpet innen fristen "
                "nedenfor, overlates kravet til inkasso uten ytterligere varsel."
            },
        ),
        LetterSequenceStep(CollectionLetterCode.COLLECTION, 14, ""),
    ]
