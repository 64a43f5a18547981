"""Sandboxed kernels: bubblewrap around every kernel the server starts (Linux).

The public surface: ``install_sandbox`` / ``uninstall_sandbox`` (the extension, at load
and shutdown), ``sandbox_status`` (health and the approval policy), ``kernel_isolation``
(is this running kernel sandboxed?). The provisioner itself is
``jupyter_codeagent.sandbox.provisioner:SandboxProvisioner``, registered under the
``jupyter_client.kernel_provisioners`` entry point ``codeagent-sandbox``; it is not
imported here so that importing this package stays cheap.
"""

from __future__ import annotations

from .install import install_sandbox, kernel_isolation, sandbox_status, uninstall_sandbox
from .policy import (
    NETWORK_MODES,
    PROVISIONER_NAME,
    SANDBOX_MODES,
    KernelIsolation,
    SandboxStatus,
    env_kernel_keeps_secrets,
    env_sandbox_mode,
    env_sandbox_network,
)

__all__ = [
    "NETWORK_MODES",
    "PROVISIONER_NAME",
    "SANDBOX_MODES",
    "KernelIsolation",
    "SandboxStatus",
    "env_kernel_keeps_secrets",
    "env_sandbox_mode",
    "env_sandbox_network",
    "install_sandbox",
    "kernel_isolation",
    "sandbox_status",
    "uninstall_sandbox",
]
