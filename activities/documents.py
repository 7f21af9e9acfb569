"""Render posted collection letters to PDF and store them by content hash."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from concurrent.futures import Executor
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from documents.letters import build_letter_context, html_to_pdf, render_letter_html
from models import CollectionLetter, CollectionLetterLine, Customer, StoredDocument
from models.db import write_session
from settings import Settings

logger = logging.getLogger(__name__)

PDF_MEDIA_TYPE = "application/pdf"


def store_document(session: Session, content: bytes, media_type: str) -> str:
    """Store ``content`` once under its SHA-256 and return the hash."""
    digest = hashlib.sha256(content).hexdigest()
    if session.get(StoredDocument, digest) is None:
        session.add(
            StoredDocument(
                sha256=digest, media_type=media_type, size=len(content), content=content
            )
        )
    return digest


class DocumentActivities:
    """Rendering activities; PDF conversion runs in a process pool.

    WeasyPrint holds the GIL for the whole conversion, so running it on the
    worker's event loop or in its threads would stall every other activity
    and workflow task of the worker.
    """

    def __init__(self, engine: Engine, settings: Settings, pool: Executor) -> None:
        self.engine = engine
        self.settings = settings
        self.pool = pool

    def _letter_html(self, letter_id: int) -> tuple[str, datetime] | None:
        with Session(self.engine, expire_on_commit=False) as session:
            letter = session.get(CollectionLetter, letter_id)
            if letter is None:
                raise ApplicationError(
                    f"letter {letter_id} not found", non_retryable=True
                )
            if letter.document_sha256 is not None:
                return None
            lines = list(
                session.exec(
                    select(CollectionLetterLine)
                    .where(CollectionLetterLine.letter_id == letter_id)
                    .order_by(CollectionLetterLine.id)  # type: ignore[arg-type]
                ).all()
            )
            customer = session.get(Customer, letter.customer_account)
            assert customer is not None
            context = build_letter_context(
                letter, lines, customer, self.settings.company
            )
            return render_letter_html(context), letter.created_at

    def _attach_pdf(self, letter_id: int, pdf: bytes) -> str:
        with write_session(self.engine) as session:
            letter = session.get(CollectionLetter, letter_id)
            assert letter is not None
            if letter.document_sha256 is not None:
                return letter.document_sha256
            digest = store_document(session, pdf, PDF_MEDIA_TYPE)
            session.flush()
            letter.document_sha256 = digest
            session.add(letter)
            session.commit()
            return digest

    def _stored_hash(self, letter_id: int) -> str:
        with Session(self.engine) as session:
            letter = session.get(CollectionLetter, letter_id)
            assert letter is not None and letter.document_sha256 is not None
            return letter.document_sha256

    @activity.defn
    async def render_collection_letter(self, letter_id: int) -> str:
        """Render the letter's PDF once and return its SHA-256."""
        rendered = await asyncio.to_thread(self._letter_html, letter_id)
        if rendered is None:
            return await asyncio.to_thread(self._stored_hash, letter_id)
        html, created = rendered
        loop = asyncio.get_running_loop()
        # The posting time as the PDF's date makes a re-render byte-identical.
        pdf = await loop.run_in_executor(self.pool, html_to_pdf, html, created)
        digest = await asyncio.to_thread(self._attach_pdf, letter_id, pdf)
        logger.info(
            "letter %s rendered: %d bytes, sha256 %s", letter_id, len(pdf), digest
        )
        return digest
