"""The operator inbox: server-rendered pages (queue, conversation, supervisor board), their actions, and
live updates over SSE. Handlers load a view-model (`views.py`) through the stores and render it."""

from __future__ import annotations

from fastapi import APIRouter

from api.inbox import actions, identity_links, live, offers, pages, reply_files

router = APIRouter()
router.include_router(pages.router)
router.include_router(actions.router)
router.include_router(identity_links.router)  # an operator links a contact the customer only claimed
router.include_router(live.router)
router.include_router(offers.router)  # the next best offer beside the conversation (issue 19)
router.include_router(reply_files.router)  # operators' downloads of files sent in replies
