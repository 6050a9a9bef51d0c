"""Targeted promotions at the moment of contact (issue 19): campaigns with audiences, offers, placements and
caps; one pure decision per contact; offers reserved under the caps atomically, held back for a control group,
issued once, redeemed from the CRM and measured against the control group.

The facade: what api/, bots/ and the worker may do with campaigns.
"""

from hub.campaigns import manage, measure
from hub.campaigns.control import in_control
from hub.campaigns.decide import decide
from hub.campaigns.files import CampaignFileError, load_campaign_dir, load_campaign_file
from hub.campaigns.offering import (
    Made,
    best_offer,
    contact_for,
    make_offer,
    offer_in_conversation,
    runtime,
    week_of,
)
from hub.campaigns.redemption import RedemptionReport, redeem
from hub.campaigns.sending import consumers, offer_proactively, send_offer
from hub.ports import CampaignsRuntime

__all__ = [
    "CampaignFileError",
    "CampaignsRuntime",
    "Made",
    "RedemptionReport",
    "best_offer",
    "consumers",
    "contact_for",
    "decide",
    "in_control",
    "load_campaign_dir",
    "load_campaign_file",
    "make_offer",
    "manage",
    "measure",
    "offer_in_conversation",
    "offer_proactively",
    "redeem",
    "runtime",
    "send_offer",
    "week_of",
]
