"""Issue 16, finding 5: a `directory:write` token set `password_hash` for a supervisor and signed in as them;
it could also create supervisors, pass weak argon2 parameters and rewrite `store:` groups."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hub.directory import invitations, tokens
from models.clock import utcnow
from models.staff import Role
from models.tokens import Scope
from tests.web_login import create_user, sign_in


async def test_a_directory_token_cannot_set_passwords_nor_reach_above_its_ceiling(
    make_settings: Any, start_app: Any,
) -> None:
    async with start_app(make_settings()) as running:
        hub, client = running.hub, running.client
        _, writer = await tokens.issue(hub.stores.tokens, "hr", [Scope.DIRECTORY_WRITE])
        write = {"authorization": f"Bearer {writer}"}
        await create_user(hub, "boss", "the supervisor's own password", roles=[Role.SUPERVISOR])
        await client.put("/api/v1/stores", json=[{"id": "118", "name": "Тверская"}], headers=write)
        weak_hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"
        takeover = await client.put("/api/v1/users", headers=write, json=[
            {"login": "boss", "name": "Boss", "roles": ["supervisor"], "password_hash": weak_hash}])
        plain = await client.put("/api/v1/users", headers=write, json=[
            {"login": "newbie", "name": "N", "roles": ["operator"], "password": "chosen-by-the-token"}])
        minted = await client.put("/api/v1/users", headers=write, json=[
            {"login": "mallory", "name": "M", "roles": ["supervisor"]}])
        demoted = await client.put("/api/v1/users", headers=write, json=[
            {"login": "boss", "name": "Boss", "roles": ["operator"], "email": "mallory@example.com"}])
        store_group = await client.put("/api/v1/groups", headers=write, json=[
            {"id": "store:118", "name": "hijacked", "kind": "store", "escalation_group": "general"}])
        boss = await hub.stores.directory.user_by_login("boss")
        group = await hub.stores.directory.get_group("store:118")  # type: ignore[arg-type]

    assert takeover.status_code == 422 and "never sets passwords" in takeover.text
    assert plain.status_code == 422 and "never sets passwords" in plain.text
    assert minted.status_code == 403 and "ceiling" in minted.text
    assert demoted.status_code == 403 and "holds supervisor" in demoted.text
    assert store_group.status_code == 403 and "directory:store-groups" in store_group.text
    assert boss is not None and boss.roles == frozenset({Role.SUPERVISOR}) and boss.email is None
    assert boss.password_hash is not None and "m=8," not in boss.password_hash
    assert group.name != "hijacked"


async def test_wider_scopes_lift_the_ceiling_and_new_users_set_their_password_by_a_single_use_link(
    make_settings: Any, start_app: Any,
) -> None:
    async with start_app(make_settings(public_url="http://otklik.test")) as running:
        hub, client = running.hub, running.client
        _, full = await tokens.issue(hub.stores.tokens, "hr", [
            Scope.DIRECTORY_WRITE, Scope.DIRECTORY_SUPERVISORS, Scope.DIRECTORY_STORE_GROUPS])
        write = {"authorization": f"Bearer {full}"}
        created = await client.put("/api/v1/users", headers=write, json=[
            {"login": "Lead", "name": "Lead", "roles": ["supervisor"]}])
        assert created.status_code == 200, created.text
        [invite] = created.json()["invitations"]
        assert invite["login"] == "lead" and invite["url"].startswith("http://otklik.test/invite?token=")
        again = await client.put("/api/v1/users", headers=write, json=[
            {"login": "lead", "name": "Lead Two", "roles": ["supervisor", "operator"]}])
        assert again.json()["invitations"] == []  # an existing user never gets a link through the API
        regrouped = await client.put("/api/v1/groups", headers=write, json=[
            {"id": "store:9", "name": "9 Арбат", "kind": "store"}])
        assert regrouped.status_code == 200, regrouped.text

        token = parse_qs(urlsplit(invite["url"]).query)["token"][0]
        form = await client.get("/invite", params={"token": token})
        assert form.status_code == 200 and "lead" in form.text
        csrf = client.cookies.get("otklik_invite_csrf", path="/invite")
        weak = await client.post("/invite", data={"token": token, "password": "short", "repeat": "short",
                                                  "csrf_token": csrf})
        assert weak.status_code == 422  # refused without spending the link
        done = await client.post("/invite", data={"token": token, "password": "lead's own pass",
                                                  "repeat": "lead's own pass", "csrf_token": csrf})
        assert done.status_code == 303 and done.headers["location"] == "/login"
        forged = await client.post("/invite", data={"token": token, "password": "x" * 10, "repeat": "x" * 10})
        assert forged.status_code == 403  # no form cookie (it went with the success)
        assert (await client.get("/invite", params={"token": token})).status_code == 410
        csrf = client.cookies.get("otklik_invite_csrf", path="/invite")
        reused = await client.post("/invite", data={"token": token, "password": "someone else's",
                                                    "repeat": "someone else's", "csrf_token": csrf})
        assert reused.status_code == 410
        await sign_in(client, "lead", "lead's own pass")

        lead = await hub.stores.directory.user_by_login("lead")
        assert lead is not None
        late = await invitations.invite(hub.stores.directory, lead.id, utcnow() - timedelta(days=4))
        expired = await client.get("/invite", params={"token": late})
        assert expired.status_code == 410
