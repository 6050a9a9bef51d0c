"""Admin pages: users, groups and stores (forms with CSRF, admins only)."""

from __future__ import annotations

from fastapi import APIRouter

from api.admin import groups, users

router = APIRouter(prefix="/admin", include_in_schema=False)
router.include_router(users.router)
router.include_router(groups.router)
