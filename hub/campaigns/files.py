"""Campaigns written in YAML: every `*.yml` of a folder holds one campaign, or a list under `campaigns:`.

A problem is reported as `file:line: where: what`, the line of the deepest key the validator named
(hub/yaml_lines.py), so the marketing team finds it as they find flow errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hub.yaml_lines import YamlLines
from models.campaigns import Campaign
from models.problems import Problem


class CampaignFileError(ValueError):
    """One or more problems of campaign files, each with its file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def load_campaign_file(path: Path) -> list[Campaign]:
    """The campaigns of one file; CampaignFileError naming file:line."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else 1
        raise CampaignFileError([Problem(str(path), line, str(e.problem or e))]) from e
    except (OSError, yaml.YAMLError) as e:
        raise CampaignFileError([Problem(str(path), 1, str(e))]) from e
    listed = isinstance(raw, dict) and "campaigns" in raw
    items: list[Any] = raw["campaigns"] if listed else [raw]
    if not isinstance(items, list):
        raise CampaignFileError([Problem(str(path), 1, "campaigns: a list of campaigns")])
    found: list[Campaign] = []
    problems: list[Problem] = []
    lines = YamlLines(path)
    for n, item in enumerate(items):
        prefix: tuple[str | int, ...] = ("campaigns", n) if listed else ()
        try:
            found.append(Campaign.model_validate(item))
        except ValidationError as e:
            for error in e.errors():
                where = (*prefix, *(p for p in error["loc"] if isinstance(p, str | int)))
                dotted = ".".join(str(p) for p in where) or "campaign"
                problems.append(Problem(str(path), lines.line(*where), f"{dotted}: {error['msg']}"))
    if problems:
        raise CampaignFileError(problems)
    return found


def load_campaign_dir(folder: str | Path) -> list[Campaign]:
    """Every campaign of the folder's `*.yml` files, by file name; every problem of every file at once."""
    campaigns: list[Campaign] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in sorted(Path(folder).glob("*.yml")):
        try:
            loaded = load_campaign_file(path)
        except CampaignFileError as e:
            problems += e.problems
            continue
        for campaign in loaded:
            if campaign.id in seen:
                problems.append(Problem(str(path), YamlLines(path).line("id"),
                                        f"campaign {campaign.id!r} is also in {seen[campaign.id]}"))
            seen[campaign.id] = str(path)
            campaigns.append(campaign)
    if problems:
        raise CampaignFileError(problems)
    return campaigns
