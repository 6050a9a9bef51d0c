"""A customer's export as a readable HTML document (the same template for the API and the CLI)."""

from __future__ import annotations

from api.templating import templates
from models.privacy import CustomerExport


def export_html(export: CustomerExport) -> str:
    """The export as one self-contained page; customer text is escaped like every page's (autoescape)."""
    return templates.env.get_template("privacy/export.html").render(export=export)
