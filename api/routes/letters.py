"""Posted collection letters and their PDFs."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlmodel import select

from api.deps import RecordId, SessionDep
from api.errors import field_error, not_found
from api.schemas import LetterPublic
from models import CollectionLetter, CollectionLetterLine, StoredDocument

router = APIRouter(prefix="/letters", tags=["letters"])


@router.get("/{letter_id}", response_model=LetterPublic, responses={404: {}})
def read_letter(letter_id: RecordId, session: SessionDep) -> LetterPublic:
    letter = session.get(CollectionLetter, letter_id)
    if letter is None:
        raise not_found("letter", letter_id, ("path", "letter_id"))
    lines = session.exec(
        select(CollectionLetterLine)
        .where(CollectionLetterLine.letter_id == letter_id)
        .order_by(CollectionLetterLine.id)  # type: ignore[arg-type]
    ).all()
    return LetterPublic.of(letter, list(lines))


@router.get(
    "/{letter_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, 404: {}},
)
def read_letter_pdf(letter_id: RecordId, session: SessionDep) -> Response:
    """Return the letter's PDF exactly as it was rendered when posted."""
    letter = session.get(CollectionLetter, letter_id)
    if letter is None:
        raise not_found("letter", letter_id, ("path", "letter_id"))
    if letter.document_sha256 is None:
        raise field_error(
            404,
            ("path", "letter_id"),
            f"letter {letter_id} has no rendered PDF yet; try again shortly",
            "not_rendered",
        )
    document = session.get(StoredDocument, letter.document_sha256)
    assert document is not None
    return Response(
        content=document.content,
        media_type=document.media_type,
        headers={
            "Content-Disposition": f'inline; filename="{letter.number}.pdf"',
            "ETag": f'"{document.sha256}"',
        },
    )
