"""Campaign YAML files: loaded whole, or refused with every problem as file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.campaigns import CampaignFileError, load_campaign_dir
from models.campaigns import Moment, OfferSource

GOOD = """\
id: goodwill
name: Извинение после жалобы
placements: [complaint_resolved]
audience:
  loyalty_tiers: [Золотой, Серебряный]
  complaint_resolved: true
offer:
  source: crm
  text:
    ru: "Примите извинения: {code}"
    en: "Our apologies: {code}"
budget: 500
control_share: 0.2
"""

BROKEN = """\
campaigns:
  - id: ok-one
    name: Первая
    placements: [praise]
    offer: {source: pool, text: {ru: "a {code}", en: "b {code}"}}
  - id: Bad Id
    name: Вторая
    placements: [after_lunch]
    offer:
      source: pool
      text:
        ru: "только по-русски"
    control_share: 2
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_folder_of_campaigns_loads(tmp_path: Path) -> None:
    write(tmp_path, "goodwill.yml", GOOD)
    write(tmp_path, "notes.txt", "not a campaign")
    [loaded] = load_campaign_dir(tmp_path)
    assert loaded.id == "goodwill" and loaded.offer.source is OfferSource.CRM
    assert loaded.placements == {Moment.COMPLAINT_RESOLVED} and loaded.audience.loyalty_tiers == {"Золотой",
                                                                                                 "Серебряный"}


def test_every_problem_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "spring.yml", BROKEN)
    with pytest.raises(CampaignFileError) as caught:
        load_campaign_dir(tmp_path)
    problems = [str(p) for p in caught.value.problems]
    assert any(p.startswith(f"{path}:6: campaigns.1.id:") for p in problems), problems
    assert any(p.startswith(f"{path}:8: campaigns.1.placements.0:") for p in problems), problems
    assert any(p.startswith(f"{path}:11: campaigns.1.offer.text:") and "missing en" in p for p in problems), problems
    assert any(p.startswith(f"{path}:13: campaigns.1.control_share:") for p in problems), problems


def test_broken_yaml_and_duplicate_ids_are_named(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", GOOD)
    dup = write(tmp_path, "b.yml", GOOD)
    bad = write(tmp_path, "c.yml", "id: x\nname: [unclosed\n")
    with pytest.raises(CampaignFileError) as caught:
        load_campaign_dir(tmp_path)
    problems = [str(p) for p in caught.value.problems]
    assert f"{dup}:1: campaign 'goodwill' is also in {tmp_path / 'a.yml'}" in problems
    assert any(p.startswith(f"{bad}:3:") for p in problems), problems
