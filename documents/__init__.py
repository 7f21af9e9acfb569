"""Customer documents rendered from Jinja2 templates to HTML and PDF."""

from documents.letters import (
    build_letter_context,
    html_to_pdf,
    render_letter_html,
    render_letter_pdf,
)

__all__ = [
    "build_letter_context",
    "html_to_pdf",
    "render_letter_html",
    "render_letter_pdf",
]
