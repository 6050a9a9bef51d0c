"""The case pages for store staff, specialists and the contact centre: the lean case list, the case page
with its actions and attachments, and "open a case" from a conversation. Routes under `/cases`."""

from __future__ import annotations

from fastapi import APIRouter

from api.cases import attachments, case_page, list_page, opening

router = APIRouter(tags=["case pages"], include_in_schema=False)
for part in (list_page, opening, case_page, attachments):  # /cases/new before /cases/{case_id}
    router.include_router(part.router, prefix="/cases")
