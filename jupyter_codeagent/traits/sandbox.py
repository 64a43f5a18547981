"""The sandbox settings of the server extension (``c.CodeAgentExtension.*``)."""

from __future__ import annotations

from traitlets import Bool, Enum, HasTraits, default

from ..sandbox import (
    NETWORK_MODES,
    SANDBOX_MODES,
    env_kernel_keeps_secrets,
    env_sandbox_mode,
    env_sandbox_network,
)
from .env import env_flag


class SandboxTraits(HasTraits):
    """Where kernels run: in bubblewrap, behind a gateway, with or without the keys."""

    sandbox = Enum(
        list(SANDBOX_MODES),
        config=True,
        help="Run every kernel of this server in a bubblewrap sandbox (Linux): 'auto' where "
        "it works, 'on' (kernels fail to start where it cannot), 'off'. Limits: "
        "c.SandboxProvisioner.memory_limit / max_processes / cpu_time_limit. "
        "Env: CODEAGENT_SANDBOX.",
    )
    sandbox_network = Enum(
        list(NETWORK_MODES),
        config=True,
        help="Network of sandboxed kernels: 'none' (own empty network namespace) or 'full' "
        "(the host's, loopback included). Env: CODEAGENT_SANDBOX_NETWORK.",
    )
    remote_kernels_isolated = Bool(
        config=True,
        help="With a Kernel/Enterprise Gateway, treat its kernel containers as the isolation "
        "boundary so the 'risky' and 'never' policies may run cells unattended (by default "
        "they ask, as without a sandbox). Env: CODEAGENT_REMOTE_KERNELS_ISOLATED=1.",
    )
    kernel_keeps_secrets = Bool(
        config=True,
        help="Let kernels inherit the configured provider keys (stripped by default, "
        "sandboxed or not). Env: CODEAGENT_KERNEL_KEEPS_SECRETS=1.",
    )

    @default("sandbox")
    def _default_sandbox(self) -> str:
        return env_sandbox_mode()

    @default("sandbox_network")
    def _default_sandbox_network(self) -> str:
        return env_sandbox_network()

    @default("remote_kernels_isolated")
    def _default_remote_kernels_isolated(self) -> bool:
        return env_flag("CODEAGENT_REMOTE_KERNELS_ISOLATED")

    @default("kernel_keeps_secrets")
    def _default_kernel_keeps_secrets(self) -> bool:
        return env_kernel_keeps_secrets()
