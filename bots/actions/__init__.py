"""The actions flows may call, by name: one table (`REGISTRY`), the content team's vocabulary.

Adding one: write `async def name(ctx: ActionContext, slots) -> dict` in a module here and list it below;
`otklik dialogs check` then accepts flows that call it.
"""

from __future__ import annotations

from bots.actions.base import Action, ActionContext, Result
from bots.actions.campaigns import offer_campaign
from bots.actions.cases import create_case
from bots.actions.loyalty import loyalty_balance
from bots.actions.orders import order_status
from bots.actions.praise import record_praise
from bots.actions.promo import issue_promo_code
from bots.actions.stores_info import find_store, nearest_store, store_hours
from bots.actions.verification import check_verification, start_verification, verification_pending

REGISTRY: dict[str, Action] = {
    "order_status": order_status,
    "store_hours": store_hours,
    "nearest_store": nearest_store,
    "find_store": find_store,
    "loyalty_balance": loyalty_balance,
    "create_case": create_case,
    "issue_promo_code": issue_promo_code,
    "offer_campaign": offer_campaign,
    "record_praise": record_praise,
    "start_verification": start_verification,
    "check_verification": check_verification,
    "verification_pending": verification_pending,
}

__all__ = ["REGISTRY", "Action", "ActionContext", "Result"]
