"""GET codeagent/health against a real Jupyter server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_codeagent import __version__
from jupyter_codeagent.testing.fake_model_server import FakeModelServer

SECRET = "sk-test-DO-NOT-LEAK-0123456789"


@pytest.fixture(scope="module")
def fake_model_server() -> Any:
    with FakeModelServer() as server:
        yield server


async def test_health_without_configuration_says_what_to_set(jp_fetch: Any) -> None:
    response = await jp_fetch("codeagent", "health")
    assert response.code == 200
    body = json.loads(response.body)
    assert body["version"] == __version__
    assert body["ready"] is False
    assert body["provider"] == ""
    for name in ("CODEAGENT_PROVIDER", "CODEAGENT_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        assert name in body["reason"]


async def test_health_refuses_unauthenticated_calls(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as failure:
        await jp_fetch("codeagent", "health", headers={"Authorization": ""})
    assert failure.value.code == 403
    assert failure.value.response is not None
    body = json.loads(failure.value.response.body)
    assert body["error"]["code"] == "forbidden"
    assert body["error"]["message"]


class TestConfiguredOpenAI:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any], fake_model_server: Any) -> Any:
        jp_server_config["CodeAgentExtension"] = {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "openai_base_url": fake_model_server.openai_base_url,
            "openai_api_key": SECRET,
        }
        return jp_server_config

    async def test_health_reports_provider_and_model_without_secrets(self, jp_fetch: Any) -> None:
        response = await jp_fetch("codeagent", "health")
        body = json.loads(response.body)
        sandbox = body.pop("sandbox")
        assert body == {
            "version": __version__,
            "ready": True,
            "provider": "openai",
            "model": "gpt-4o-mini",
        }
        # Whether kernels are sandboxed here (bubblewrap in CI: available and active).
        assert set(sandbox) <= {"available", "active", "reason"}
        assert isinstance(sandbox["available"], bool) and isinstance(sandbox["active"], bool)
        assert sandbox["active"] or sandbox.get("reason")
        assert SECRET not in response.body.decode()


class TestUnreachableBaseUrl:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any], unused_tcp_port: int) -> Any:
        jp_server_config["CodeAgentExtension"] = {
            "provider": "openai",
            "model": "llama3.1",
            "openai_base_url": f"http://127.0.0.1:{unused_tcp_port}/v1",
        }
        return jp_server_config

    async def test_health_names_the_unreachable_url(
        self, jp_fetch: Any, unused_tcp_port: int
    ) -> None:
        body = json.loads((await jp_fetch("codeagent", "health")).body)
        assert body["ready"] is False
        assert body["provider"] == "openai"
        assert body["model"] == "llama3.1"
        assert f"127.0.0.1:{unused_tcp_port}" in body["reason"]


class TestAnthropicFromEnvironment:
    @pytest.fixture
    def jp_server_config(
        self,
        jp_server_config: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
    ) -> Any:
        monkeypatch.setenv("CODEAGENT_PROVIDER", "anthropic")
        monkeypatch.setenv("CODEAGENT_MODEL", "claude-sonnet-4-5")
        monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
        return jp_server_config

    async def test_environment_variables_configure_the_extension(self, jp_fetch: Any) -> None:
        response = await jp_fetch("codeagent", "health")
        body = json.loads(response.body)
        assert body["ready"] is True
        assert (body["provider"], body["model"]) == ("anthropic", "claude-sonnet-4-5")
        assert SECRET not in response.body.decode()
