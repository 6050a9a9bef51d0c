"""Hot reload: a valid change is served without a restart; an invalid one is refused and reported."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from dialogs.model import SayStep
from dialogs.problems import FlowError
from dialogs.registry import FlowRegistry
from tests.unit.dialogs.helpers import FIXTURES

ACTIONS = {"order_lookup", "create_case", "record_praise"}


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    """A copy of the fixture flows to edit."""
    return Path(shutil.copytree(FIXTURES / "flows", tmp_path / "flows"))


def rewrite(path: Path, old: str, new: str) -> None:
    """Edit a file the way an editor does, with a newer modification time."""
    stat = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_valid_change_is_swapped_in(flows_dir: Path) -> None:
    registry = FlowRegistry(flows_dir, actions=ACTIONS, check_every=0.0)
    before = registry.current()
    assert registry.reload_if_changed() is False  # nothing changed
    rewrite(flows_dir / "complaint.yml", "Спасибо за добрые слова!", "Большое спасибо!")
    assert registry.reload_if_changed() is True
    assert registry.current() is not before and registry.current().version != before.version
    say = registry.current().flows["praise"].steps[1]
    assert isinstance(say, SayStep) and say.say.variants("ru", "ru") == ["Большое спасибо!"]
    assert registry.last_error == []


def test_an_invalid_change_keeps_the_old_flows_and_reports_file_and_line(
        flows_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    registry = FlowRegistry(flows_dir, actions=ACTIONS, check_every=0.0)
    served = registry.current()
    rewrite(flows_dir / "order.yml", "name: order_lookup", "name: order_lokup")
    with caplog.at_level(logging.ERROR, logger="otklik.dialogs"):
        assert registry.reload_if_changed() is False
    assert registry.current() is served
    [problem] = registry.last_error
    assert (Path(problem.file).name, problem.line) == ("order.yml", 17)
    assert "unknown action 'order_lokup'" in problem.message
    assert "order.yml:17: unknown action" in caplog.text
    rewrite(flows_dir / "order.yml", "name: order_lokup", "name: order_lookup")  # fixed: served again
    assert registry.reload_if_changed() is True and registry.last_error == []


def test_a_broken_yaml_file_is_refused_too(flows_dir: Path) -> None:
    registry = FlowRegistry(flows_dir, actions=ACTIONS, check_every=0.0)
    rewrite(flows_dir / "greeting.yml", "    steps:", "    steps: [")
    assert registry.reload_if_changed() is False
    assert registry.last_error[0].message.startswith("invalid YAML")
    assert set(registry.current().flows) == {"greeting", "fallback", "order_status", "complaint", "praise"}


def test_checks_are_rate_limited(flows_dir: Path) -> None:
    registry = FlowRegistry(flows_dir, actions=ACTIONS, check_every=3600.0)
    rewrite(flows_dir / "complaint.yml", "Спасибо за добрые слова!", "Большое спасибо!")
    assert registry.reload_if_changed() is False  # not looked at yet
    assert registry.reload_if_changed(force=True) is True


def test_invalid_flows_at_start_raise(flows_dir: Path) -> None:
    rewrite(flows_dir / "order.yml", "name: order_lookup", "name: order_lokup")
    with pytest.raises(FlowError) as caught:
        FlowRegistry(flows_dir, actions=ACTIONS)
    assert "order.yml:17: unknown action" in str(caught.value)
