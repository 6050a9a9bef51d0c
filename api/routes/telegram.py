"""Telegram webhook routes — being written for issue 3."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/webhooks/telegram", tags=["telegram"])
