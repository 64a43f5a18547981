"""Several people on one Jupyter server (a hub user's server shared with a collaborator,
as with real-time collaboration): each sees the notebook's agent session live, and
each approval is recorded with the identity of whoever gave it.

The hub's authentication reaches jupyter_server as an ``IdentityProvider`` (JupyterHub
installs its own); here a small one maps two tokens to two users, so the product is
exercised exactly as behind a hub: the identity comes from jupyter_server, never from
the request body.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from agent_harness import Api, model_config, new_script
from jupyter_server.auth.identity import IdentityProvider, User
from tornado.httpclient import HTTPClientError

from jupyter_codeagent.testing.agent_script import finish, plan, propose, review

USERS = {"alice-token": "alice", "bob-token": "bob"}


class TwoUsers(IdentityProvider):
    """Alice and Bob, each with a token (a hub gives each user an OAuth identity)."""

    async def get_user_token(self, handler: Any) -> User | None:
        name = USERS.get(self.get_token(handler) or "")
        return User(username=name, name=name.title()) if name else None


@pytest.fixture
def jp_base_url() -> str:
    return "/user/alice/"  # Alice's server on the hub, which Bob was given access to


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], fake: Any) -> dict[str, Any]:
    jp_server_config["ServerApp"]["identity_provider_class"] = TwoUsers
    jp_server_config["CodeAgentExtension"] = model_config(fake, "openai", "always")
    return jp_server_config


def _as(user_token: str, jp_fetch: Any, jp_ws_fetch: Any) -> Api:
    headers = {"Authorization": f"token {user_token}"}
    return Api(
        functools.partial(jp_fetch, headers=headers),
        functools.partial(jp_ws_fetch, headers=headers),
    )


async def test_collaborators_share_the_session_and_their_approvals_are_attributed(
    jp_fetch: Any, jp_ws_fetch: Any, fake: Any
) -> None:
    alice = _as("alice-token", jp_fetch, jp_ws_fetch)
    bob = _as("bob-token", jp_fetch, jp_ws_fetch)
    script = new_script(fake)
    script.planner(plan("Load", "Sum"))
    script.coder(propose("x = 40"), propose("x + 2", task_id="t2"), finish("It is 42."))
    script.reviewer(review(), review())

    session = await alice.create_session("shared.ipynb")
    # Bob finds the notebook's session in the list: sessions belong to the server.
    assert [s["id"] for s in await bob.call("GET", "sessions")] == [session["id"]]
    alice_events = await alice.events(session["id"])
    bob_events = await bob.events(session["id"])
    await alice.send(session["id"], "Compute x")

    first = await bob_events.until_type("cell_proposed")  # Bob sees Alice's run live
    await bob.approve(session["id"], first["cell_id"])
    executing = await alice_events.until_type("cell_executing")
    assert executing["cell_id"] == first["cell_id"] and executing["approved_by"] == "bob"
    second = await alice_events.until_type("cell_proposed")
    await alice.approve(session["id"], second["cell_id"])
    finished = await bob_events.until_type("run_finished")
    assert finished["status"] == "done" and finished["summary"] == "It is 42."
    await alice_events.until_type("run_finished")

    # Both saw the same events, in the same order.
    seen_by_alice = [(e["seq"], e["type"]) for e in alice_events.events]
    seen_by_bob = [(e["seq"], e["type"]) for e in bob_events.events]
    assert seen_by_bob == seen_by_alice
    audit = await bob.call("GET", "sessions", session["id"], "audit")
    assert [(a["cell_id"], a["approved_by"]) for a in audit] == [
        (first["cell_id"], "bob"),
        (second["cell_id"], "alice"),
    ]
    # Someone the identity provider does not know gets nothing.
    with pytest.raises(HTTPClientError) as failure:
        await _as("mallory-token", jp_fetch, jp_ws_fetch).call("GET", "sessions")
    assert failure.value.code == 403
    alice_events.close()
    bob_events.close()
