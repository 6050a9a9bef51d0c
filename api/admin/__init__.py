"""Admin pages: users, groups, stores, routing (admins); canned responses (content editors too); campaigns
(supervisors and admins); CSRF on forms."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.admin import audit, campaigns, canned, groups, routing, users
from api.admin.problems import config_problems

# Every admin page shows the configuration's problems at the top (api/admin/problems.py).
router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(config_problems)])
router.include_router(users.router)
router.include_router(groups.router)
router.include_router(routing.router)
router.include_router(canned.router)
router.include_router(campaigns.router)
router.include_router(audit.router)  # who read which customer's data
