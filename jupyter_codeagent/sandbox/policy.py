"""What the sandbox does for the kernels of this server: settings, status, the active policy.

jupyter_client creates provisioners itself (``KernelProvisionerFactory``), so the
provisioner cannot be handed the extension's settings: the extension *installs* one
``SandboxPolicy`` per process at load time and the provisioner reads it at each launch.
Without an installed policy (the provisioner named in a kernelspec of a server that
does not load this extension) the policy comes from the environment variables.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

SandboxMode = Literal["auto", "on", "off"]
NetworkMode = Literal["none", "full"]
SANDBOX_MODES: tuple[str, ...] = ("auto", "on", "off")
NETWORK_MODES: tuple[str, ...] = ("none", "full")
PROVISIONER_NAME = "codeagent-sandbox"
# Names of provider keys stripped from every kernel even when no value is configured
# (a key only in the server's environment is still the server's secret).
PROVIDER_KEY_NAMES: tuple[str, ...] = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")


def _no_secrets() -> Iterable[str]:
    return ()


def env_sandbox_mode() -> str:
    value = os.environ.get("CODEAGENT_SANDBOX", "").strip().lower()
    return value if value in SANDBOX_MODES else "auto"


def env_sandbox_network() -> str:
    value = os.environ.get("CODEAGENT_SANDBOX_NETWORK", "").strip().lower()
    return value if value in NETWORK_MODES else "none"


def env_kernel_keeps_secrets() -> bool:
    value = os.environ.get("CODEAGENT_KERNEL_KEEPS_SECRETS", "").strip().lower()
    return value in {"1", "true", "yes", "on"}


@dataclass(frozen=True, kw_only=True)
class SandboxStatus:
    """``available``: bubblewrap works here; ``active``: new kernels are sandboxed."""

    available: bool
    active: bool
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"available": self.available, "active": self.active}
        if self.reason:
            answer["reason"] = self.reason
        return answer


@dataclass(frozen=True, kw_only=True)
class KernelIsolation:
    """How one running kernel was started (see ``kernel_isolation``)."""

    sandboxed: bool
    network: str | None = None
    secrets_stripped: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "sandboxed": self.sandboxed,
            "network": self.network,
            "secrets_stripped": self.secrets_stripped,
        }


@dataclass(frozen=True, kw_only=True)
class SandboxPolicy:
    """Resolved settings the provisioner applies to every kernel it launches."""

    mode: str = "auto"
    # Kernels go into bubblewrap. False with mode "auto" where it cannot run.
    isolate: bool = False
    # Set when mode is "on" but no sandbox can be had: launches fail with this message
    # rather than silently running an unsandboxed kernel the user asked to sandbox.
    failure: str | None = None
    network: str = "none"
    keep_secrets: bool = False
    # Called at each launch: keys may change while the server runs.
    secret_values: Callable[[], Iterable[str]] = field(default=_no_secrets, repr=False)
    # Files and folders the sandbox replaces by empty ones (credentials, Jupyter's state).
    hidden_paths: tuple[str, ...] = ()
    bwrap: str | None = None
    userns: bool = True
    disable_userns: bool = False

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in self.secret_values() if s)


_installed: SandboxPolicy | None = None


def install_policy(policy: SandboxPolicy | None) -> None:
    global _installed
    _installed = policy


def installed_policy() -> SandboxPolicy | None:
    return _installed
