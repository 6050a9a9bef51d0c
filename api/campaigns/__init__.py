"""Campaign pages (issue 19): every campaign with its headline numbers, one campaign against its control group,
and its CSV export."""

from api.campaigns.pages import router

__all__ = ["router"]
