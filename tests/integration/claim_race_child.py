"""One competitor in the claim race: `python -m tests.integration.claim_race_child CONVERSATION USER START`.

Opens its own hub from the environment (its own store connection and bus client), waits until the wall
clock reaches START (epoch seconds) so every process claims at once, and prints "won" or "lost".
"""

from __future__ import annotations

import asyncio
import sys
import time

from api.wiring import running_hub
from hub.inbox import assignment
from hub.settings import Settings
from models.errors import Conflict
from models.ids import ConversationId
from models.staff import UserId


async def main(conversation_id: str, user_id: str, start: float) -> str:
    """Claim once at `start`; the outcome."""
    async with running_hub(Settings(_env_file=None)) as hub:
        user = await hub.stores.directory.get_user(UserId(user_id))
        await asyncio.sleep(max(0.0, start - time.time()))
        try:
            await assignment.claim(hub, ConversationId(conversation_id), user)
        except Conflict:
            return "lost"
        return "won"


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]))), flush=True)
