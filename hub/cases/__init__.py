"""Cases: work handed to specialist groups and stores, with routing, SLA in working hours and a route map."""

from hub.cases import access, service
from hub.cases.catalogue import DEFAULT_CATALOGUE_PATH, STORE, Catalogue, load_catalogue
from hub.cases.config import case_config
from hub.cases.opening import STORE_LINK
from hub.cases.service import get_case, open_case, route_map

__all__ = [
    "DEFAULT_CATALOGUE_PATH",
    "STORE",
    "STORE_LINK",
    "Catalogue",
    "access",
    "case_config",
    "get_case",
    "load_catalogue",
    "open_case",
    "route_map",
    "service",
]
