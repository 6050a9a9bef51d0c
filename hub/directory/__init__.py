"""The directory's services: users and sign-in, groups, retail stores and their bulk import."""

from hub.directory import sessions, tokens, users
from hub.directory.importer import ImportReport, import_stores, import_users, parse_stores, parse_users
from hub.directory.invitations import (
    INVITE_PATH,
    INVITE_TTL,
    InvitationInvalid,
    accept,
    invite,
    invite_url,
    invited_user,
)
from hub.directory.passwords import check_strength
from hub.directory.rows import ImportRow, read_rows, split_list
from hub.directory.sessions import SessionPolicy
from hub.directory.users import create_user, get_by_login

__all__ = [
    "INVITE_PATH",
    "INVITE_TTL",
    "ImportReport",
    "ImportRow",
    "InvitationInvalid",
    "SessionPolicy",
    "accept",
    "check_strength",
    "create_user",
    "get_by_login",
    "import_stores",
    "import_users",
    "invite",
    "invite_url",
    "invited_user",
    "parse_stores",
    "parse_users",
    "read_rows",
    "sessions",
    "split_list",
    "tokens",
    "users",
]
