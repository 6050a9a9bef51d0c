"""`otklik check`: the whole configuration against the directory, as `file:line: problem` lines.

One check for the CLI (`otklik check`), `otklik serve` (which refuses to start on errors) and the admin
pages (which show the problems at the top). It proves that work can land with people:

- inbox routes, default and overflow groups, the CSAT low-score group (hub/inbox/inbox.yml or
  OTKLIK_INBOX_CONFIG_PATH) and admins' route overrides name groups of the directory;
- the case catalogue's types, rules and escalation group (hub/cases/catalogue.yml) name groups;
- every group's calendar is defined (hub/calendars.yml) and its escalation group exists;
- flows trigger on known intents, call known actions, open cases of catalogue types, and their handover
  topics reach a group (api/config_flows.py);
- every channel account has the secrets its connector needs (OTKLIK_ACCOUNTS);
- the campaign files of OTKLIK_CAMPAIGNS_DIR are valid campaigns with distinct ids (hub/campaigns/files.py).

Errors stop `serve`; warnings (a group that exists but has nobody to work in it: its work overflows,
hub/inbox/staffing.py) are shown but do not.
"""

from __future__ import annotations

import yaml

from api.config_flows import check_flows
from api.config_problems import Directory, Report, shown
from api.wiring import build_stores
from connectors import check_account
from hub.campaigns import CampaignFileError, load_campaign_dir
from hub.cases import DEFAULT_CATALOGUE_PATH, STORE, Catalogue, load_catalogue
from hub.inbox import SHIPPED_INBOX_CONFIG, InboxConfig, load_inbox_config
from hub.settings import Settings
from hub.stores.base import Stores
from hub.working_hours import DEFAULT_CALENDARS_PATH, load_calendars
from hub.yaml_lines import YamlLines
from models.channels import Channel, ChannelAccount
from models.problems import Problem
from models.staff import Role

ADMIN_ROUTES = "<admin routing>"  # routes admins set on /admin/routing live in the store, not in a file
DIRECTORY = "<directory>"  # groups are data (admin pages, `otklik directory import`), not a file


async def check_install(settings: Settings) -> Report:
    """Open the configured store, check the configuration against its directory, close it."""
    stores = build_stores(settings)
    await stores.open()
    try:
        return await check_configuration(settings, stores)
    finally:
        await stores.close()


async def check_configuration(settings: Settings, stores: Stores) -> Report:
    """Every problem of the configuration these settings name, against the directory in `stores`."""
    report, directory = Report(), Directory(stores.directory)
    overrides = await stores.inbox.routes()
    inbox = await _check_inbox(settings, directory, overrides, report)
    catalogue = await _check_catalogue(settings, directory, report)
    await _check_calendars(settings, directory, report)
    if inbox is not None:
        types = set(catalogue.types) if catalogue is not None else None
        await check_flows(settings, inbox, overrides, directory, report, types)
    _check_accounts(settings, report)
    _check_campaigns(settings, report)
    return report


async def need_group(directory: Directory, group: str, role: Role | None, where: Problem, report: Report,
                     *, work: str) -> None:
    """Report at `where` (its message names what points at the group) a missing or unstaffed group."""
    if await directory.group(group) is None:
        report.errors.append(Problem(where.file, where.line, f"{where.message}: no group {group!r} in the directory"))
    elif role is not None and not await directory.staffed(group, role):
        report.warnings.append(Problem(where.file, where.line, f"{where.message}: nobody works in group {group!r} "
                                       f"(no active {role.value}); its {work} go to the overflow group"))


async def _check_inbox(settings: Settings, directory: Directory, overrides: dict[str, str],
                       report: Report) -> InboxConfig | None:
    path = settings.inbox_config_path or str(SHIPPED_INBOX_CONFIG)
    try:
        config = load_inbox_config(settings.inbox_config_path)
    except ValueError as e:
        report.errors.append(Problem(shown(path), 1, str(e.__cause__ or e)))
        return None
    lines, file = YamlLines(path), shown(path)
    await need_group(directory, config.default_group, Role.OPERATOR,
                     Problem(file, lines.line("default_group"), "default_group"), report, work="handovers")
    if config.overflow_group is not None:
        await need_group(directory, config.overflow_group, Role.OPERATOR,
                         Problem(file, lines.line("overflow_group"), "overflow_group"), report, work="handovers")
    for topic, group in config.routes.items():
        await need_group(directory, group, Role.OPERATOR,
                         Problem(file, lines.line("routes", topic), f"route {topic}"), report, work="handovers")
    if config.csat.enabled and config.csat.low_score_group is not None:  # where low ratings reopen (hub/csat/)
        await need_group(directory, config.csat.low_score_group, None, Problem(
            file, lines.line("csat", "low_score_group"), "csat.low_score_group"), report, work="low ratings")
    for topic, group in sorted(overrides.items()):
        await need_group(directory, group, Role.OPERATOR,
                         Problem(ADMIN_ROUTES, 0, f"route {topic} (set on /admin/routing)"), report, work="handovers")
    return config


async def _check_catalogue(settings: Settings, directory: Directory, report: Report) -> Catalogue | None:
    path = settings.cases_catalogue_path or DEFAULT_CATALOGUE_PATH
    try:
        catalogue = load_catalogue(path)
    except ValueError as e:
        report.errors.append(Problem(shown(path), 1, str(e)))
        return None
    lines, file = YamlLines(path), shown(path)
    for type_id, rtype in catalogue.types.items():
        if rtype.group != STORE:
            where = Problem(file, lines.line("types", type_id, "group"), f"request type {type_id}")
            await need_group(directory, rtype.group, None, where, report, work="cases")
            await _case_people(directory, rtype.group, where, report)
    for n, rule in enumerate(catalogue.rules):
        if rule.group != STORE:
            where = Problem(file, lines.line("rules", n), f"rule {n + 1}")
            await need_group(directory, rule.group, None, where, report, work="cases")
            await _case_people(directory, rule.group, where, report)
    await _check_escalation(catalogue, directory, Problem(file, lines.line("defaults", "escalation_group"),
                                                          "defaults.escalation_group"), report)
    return catalogue


async def _case_people(directory: Directory, group: str, where: Problem, report: Report) -> None:
    """A case group that exists but that nobody active belongs to: its cases overflow."""
    if await directory.group(group) is not None and not await directory.staffed(group, None):
        report.warnings.append(Problem(where.file, where.line, f"{where.message}: nobody works in group "
                                       f"{group!r}; its cases go to the overflow group"))


async def _check_escalation(catalogue: Catalogue, directory: Directory, where: Problem, report: Report) -> None:
    group = catalogue.defaults.escalation_group
    if group is not None:
        await need_group(directory, group, None, where, report, work="escalations")


async def _check_calendars(settings: Settings, directory: Directory, report: Report) -> None:
    path = settings.calendars_path or DEFAULT_CALENDARS_PATH
    try:
        book = load_calendars(path)
    except (OSError, ValueError, yaml.YAMLError) as e:
        report.errors.append(Problem(shown(path), 1, str(e)))
        return
    line = YamlLines(path).line("calendars")
    for group in await directory.all_groups():
        if group.calendar and group.calendar not in book.calendars:
            report.errors.append(Problem(shown(path), line, f"group {group.id!r} works by calendar "
                                         f"{group.calendar!r}, which is not defined here "
                                         f"(known: {', '.join(sorted(book.calendars))})"))
        if group.escalation_group and await directory.group(group.escalation_group) is None:
            report.errors.append(Problem(DIRECTORY, 0, f"group {group.id!r} escalates to "
                                         f"{group.escalation_group!r}, which is not in the directory"))


def _check_accounts(settings: Settings, report: Report) -> None:
    """Each OTKLIK_ACCOUNTS entry (line = its position in the list) with what its connector needs."""
    for n, config in enumerate(settings.accounts, start=1):
        account = ChannelAccount(id=config.id, channel=Channel(config.channel), token=config.token,
                                 secrets=config.secrets, options=config.options)
        try:
            check_account(account)
        except ValueError as e:
            report.errors.append(Problem("OTKLIK_ACCOUNTS", n, str(e)))  # the connector names the account


def _check_campaigns(settings: Settings, report: Report) -> None:
    """Each problem of the campaign files, at its file:line (they would stop `serve` at start)."""
    if not settings.campaigns_dir:
        return
    try:
        load_campaign_dir(settings.campaigns_dir)
    except CampaignFileError as e:
        report.errors += [Problem(shown(p.file), p.line, p.message) for p in e.problems]

