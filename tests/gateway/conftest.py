"""A real Jupyter Kernel Gateway on loopback, and Jupyter servers that reach kernels through it.

``kernel_gateway`` is one ``python -m kernel_gateway`` subprocess for the session (with
an auth token, listing of kernels allowed as JupyterLab needs it); every test starts
its own kernels there. Its working directory is the kernels' working directory: a
gateway kernel does not run in the Jupyter server's root.

``GatewayClient`` is a process-wide singleton, and a configured one turns every later
``ServerApp`` into a gateway client; it is cleared after each module here so the other
tests keep their local kernels.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.gateway.gateway_client import GatewayClient

_STARTUP_TIMEOUT = 30.0


@dataclass(frozen=True, kw_only=True)
class KernelGateway:
    url: str
    auth_token: str
    root: Path
    log_path: Path

    def request(self, method: str, path: str, *, token: str | None = None) -> int:
        """An HTTP call straight to the gateway (behind the Jupyter server's back)."""
        request = urllib.request.Request(f"{self.url}{path}", method=method)
        request.add_header("Authorization", f"token {self.auth_token if token is None else token}")
        if method == "POST":
            request.data = b"{}"
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def kernel_model(self, kernel_id: str) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}/api/kernels/{kernel_id}")
        request.add_header("Authorization", f"token {self.auth_token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.load(response))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def kernel_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KernelGateway]:
    root = tmp_path_factory.mktemp("gateway_root")
    log_path = root.parent / "kernel_gateway.log"
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "kernel_gateway",
        "--KernelGatewayApp.ip=127.0.0.1",
        f"--KernelGatewayApp.port={port}",
        f"--KernelGatewayApp.auth_token={token}",
        "--JupyterWebsocketPersonality.list_kernels=True",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KG_", "JUPYTER_GATEWAY"))}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=log)
    gateway = KernelGateway(
        url=f"http://127.0.0.1:{port}", auth_token=token, root=root, log_path=log_path
    )
    try:
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while gateway_status(gateway) != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the kernel gateway did not start:\n{gateway.log()}")
            time.sleep(0.1)
        yield gateway
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def gateway_status(gateway: KernelGateway) -> int:
    try:
        return gateway.request("GET", "/api")
    except OSError:
        return 0


def configure_gateway_client(gateway: KernelGateway) -> GatewayClient:
    """The singleton configured as ``--gateway-url`` / ``GatewayClient.*`` would."""
    GatewayClient.clear_instance()
    return GatewayClient.instance(url=gateway.url, auth_token=gateway.auth_token)


@pytest.fixture(scope="module", autouse=True)
def forget_the_gateway_client() -> Iterator[None]:
    """Clear the singleton once the module is done.

    Module scope on purpose: pytest-jupyter's per-test cleanup still shuts the
    server's kernels down through the gateway after every function fixture is gone.
    """
    yield
    GatewayClient.clear_instance()


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any],
    kernel_gateway: KernelGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    """The Jupyter server under test reaches kernels through ``kernel_gateway``."""
    # GatewayClient writes its launch timeout into os.environ; keep that to this test.
    monkeypatch.setenv("KERNEL_LAUNCH_TIMEOUT", os.environ.get("KERNEL_LAUNCH_TIMEOUT", "40"))
    # The server adopts an existing singleton as is: the previous test's must go.
    GatewayClient.clear_instance()
    jp_server_config["GatewayClient"] = {
        "url": kernel_gateway.url,
        "auth_token": kernel_gateway.auth_token,
    }
    return jp_server_config
