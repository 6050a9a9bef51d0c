"""Admin pages: users, groups, stores, routing (admins); canned responses (content editors too); CSRF on forms."""

from __future__ import annotations

from fastapi import APIRouter

from api.admin import canned, groups, routing, users

router = APIRouter(prefix="/admin", include_in_schema=False)
router.include_router(users.router)
router.include_router(groups.router)
router.include_router(routing.router)
router.include_router(canned.router)
