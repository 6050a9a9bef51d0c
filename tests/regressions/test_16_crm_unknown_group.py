"""Issue 16, low severity: the CRM API accepted a conversation group that does not exist, so the conversation
sat in a queue nobody serves. PATCH /api/v1/conversations/{id} now refuses it with 422 and changes nothing;
an existing group is still taken."""

from __future__ import annotations

from models.channels import Channel
from models.clock import utcnow
from models.conversations import Conversation
from models.ids import CustomerId
from models.staff import Group, GroupId
from tests.integration.crm.conftest import Crm, crm  # noqa: F401 - the CRM suite's fixture


async def test_an_unknown_group_is_refused_and_a_known_one_taken(crm: Crm) -> None:  # noqa: F811
    conversation = Conversation.open(CustomerId("cust-1"), Channel.API, "crm", at=utcnow())
    await crm.running.hub.stores.conversations.create(conversation)
    await crm.running.hub.stores.directory.save_group(Group(id=GroupId("returns-desk"), name="Возвраты"))
    url = f"/api/v1/conversations/{conversation.id}"

    unknown = await crm.client.patch(url, json={"group": "no-such-desk", "topic": "returns"}, headers=crm.headers)
    after = (await crm.client.get(url, headers=crm.headers)).json()
    known = await crm.client.patch(url, json={"group": "returns-desk"}, headers=crm.headers)

    assert unknown.status_code == 422
    assert unknown.json()["error"]["reason"] == "group: there is no group 'no-such-desk' in the directory"
    assert (after["group"], after["topic"], after["version"]) == (None, None, conversation.version)
    assert known.status_code == 200 and known.json()["group"] == "returns-desk"
