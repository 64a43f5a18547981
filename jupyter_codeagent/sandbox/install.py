"""Make the sandbox provisioner the server's default, and say what is in force.

The hook is ``KernelProvisionerFactory.default_provisioner_name``: jupyter_client uses it
for every kernelspec that does not name a provisioner of its own, which covers the
kernels JupyterLab starts when a notebook opens (``POST /api/sessions``) as well as
ours. Kernelspecs that name another provisioner, and kernels of a Kernel Gateway, are
left alone and reported.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from .paths import hidden_paths
from .policy import (
    PROVISIONER_NAME,
    KernelIsolation,
    SandboxPolicy,
    SandboxStatus,
    env_kernel_keeps_secrets,
    env_sandbox_mode,
    env_sandbox_network,
    install_policy,
    installed_policy,
)
from .probe import probe_bwrap

log = logging.getLogger(__name__)

_LOCAL = "local-provisioner"
_installed_status: SandboxStatus | None = None
_previous_default: str | None = None


def resolve_policy(
    *,
    mode: str,
    network: str,
    keep_secrets: bool,
    secret_values: Callable[[], Iterable[str]],
    hidden: tuple[str, ...],
) -> tuple[SandboxPolicy, SandboxStatus]:
    """The policy for ``mode`` on this machine, and the status it amounts to."""
    common: dict[str, Any] = {
        "mode": mode,
        "network": network,
        "keep_secrets": keep_secrets,
        "secret_values": secret_values,
        "hidden_paths": hidden,
    }
    if mode == "off":
        status = SandboxStatus(available=probe_bwrap().works, active=False, reason="sandbox=off")
        return SandboxPolicy(isolate=False, **common), status
    probe = probe_bwrap()
    if probe.works:
        policy = SandboxPolicy(
            isolate=True,
            bwrap=probe.path,
            userns=probe.userns,
            disable_userns=probe.disable_userns,
            **common,
        )
        return policy, SandboxStatus(available=True, active=True)
    reason = probe.reason or "bubblewrap does not work here"
    if mode == "on":
        failure = f"sandbox=on but no sandbox can be had: {reason}"
        return SandboxPolicy(isolate=False, failure=failure, **common), SandboxStatus(
            available=False, active=False, reason=failure
        )
    return SandboxPolicy(isolate=False, **common), SandboxStatus(
        available=False, active=False, reason=reason
    )


def _environment_secrets() -> tuple[str, ...]:
    return tuple(os.environ.get(n, "") for n in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"))


def current_policy() -> SandboxPolicy:
    """The installed policy, else one from the environment (no extension loaded)."""
    policy = installed_policy()
    if policy is not None:
        return policy
    data = os.environ.get("JUPYTER_DATA_DIR") or ""
    db = os.environ.get("CODEAGENT_DB_PATH") or (os.path.join(data, "codeagent.db") if data else "")
    policy, _status = resolve_policy(
        mode=env_sandbox_mode(),
        network=env_sandbox_network(),
        keep_secrets=env_kernel_keeps_secrets(),
        secret_values=_environment_secrets,
        hidden=hidden_paths(db_path=db),
    )
    return policy


def _server_files(serverapp: Any) -> list[str]:
    """Files of this server that may live outside Jupyter's usual folders."""
    names = ("config_file", "cookie_secret_file", "info_file", "browser_open_file", "sock")
    files = [str(getattr(serverapp, name, "") or "") for name in names]
    manager = getattr(serverapp, "kernel_manager", None)
    files.append(str(getattr(manager, "connection_dir", "") or ""))
    files.append(str(getattr(serverapp, "runtime_dir", "") or ""))
    return [f for f in files if f]


def _gateway_enabled(serverapp: Any) -> bool:
    config = getattr(serverapp, "gateway_config", None)
    return bool(getattr(config, "gateway_enabled", False))


def _kernelspecs_with_own_provisioner(serverapp: Any) -> list[str]:
    try:
        specs = serverapp.kernel_spec_manager.get_all_specs()
    except Exception:  # a broken kernelspec must not stop the server
        return []
    return sorted(
        name
        for name, model in specs.items()
        if ((model.get("spec") or {}).get("metadata") or {}).get("kernel_provisioner")
    )


def install_sandbox(
    serverapp: Any | None,
    *,
    mode: str,
    network: str,
    keep_secrets: bool,
    secret_values: Callable[[], Iterable[str]],
    db_path: str,
    logger: logging.Logger | None = None,
) -> SandboxStatus:
    """Route every kernel this server starts through the sandbox provisioner.

    ``serverapp`` None: standalone kernel managers (the headless CLI) in this process.
    Never raises for a missing sandbox: with ``mode="on"`` the error is logged and
    reported (and kernel launches fail with it); with ``"auto"`` kernels run plain.
    """
    global _installed_status, _previous_default
    from jupyter_client.provisioning import KernelProvisionerFactory

    logger = logger or log
    hidden = hidden_paths(db_path=db_path, server_files=_server_files(serverapp))
    policy, status = resolve_policy(
        mode=mode,
        network=network,
        keep_secrets=keep_secrets,
        secret_values=secret_values,
        hidden=hidden,
    )
    if _gateway_enabled(serverapp):
        status = SandboxStatus(
            available=False,
            active=False,
            reason="kernels run on a Kernel Gateway: its kernel container is the boundary",
        )
        _installed_status = status
        logger.info("codeagent sandbox: %s", status.reason)
        return status
    factory = KernelProvisionerFactory.instance(parent=serverapp)
    current = factory.default_provisioner_name
    if current not in (_LOCAL, PROVISIONER_NAME):
        status = SandboxStatus(
            available=status.available,
            active=False,
            reason=f"the server's default kernel provisioner is {current!r}; it is kept",
        )
        (logger.error if mode == "on" else logger.warning)("codeagent sandbox: %s", status.reason)
        _installed_status = status
        return status
    install_policy(policy)
    if policy.isolate or policy.failure or not policy.keep_secrets:
        _previous_default = current if _previous_default is None else _previous_default
        factory.default_provisioner_name = PROVISIONER_NAME
    own = _kernelspecs_with_own_provisioner(serverapp)
    if own and status.active:
        logger.warning("codeagent sandbox: kernelspecs %s name their own provisioner", own)
    if policy.failure:
        logger.error("codeagent sandbox: %s", policy.failure)
    elif status.active:
        logger.info("codeagent sandbox: kernels run in bubblewrap (network: %s)", network)
    else:
        logger.warning("codeagent sandbox: kernels are not sandboxed: %s", status.reason)
    _installed_status = status
    return status


def uninstall_sandbox() -> None:
    """Undo ``install_sandbox`` (server shutdown; tests start many servers per process)."""
    global _installed_status, _previous_default
    from jupyter_client.provisioning import KernelProvisionerFactory

    if _previous_default is not None and KernelProvisionerFactory.initialized():
        KernelProvisionerFactory.instance().default_provisioner_name = _previous_default
    _previous_default = None
    _installed_status = None
    install_policy(None)


def sandbox_status() -> SandboxStatus:
    """Cheap: the installed server's status, else the environment's (probe cached)."""
    if _installed_status is not None:
        return _installed_status
    _policy, status = resolve_policy(
        mode=env_sandbox_mode(),
        network=env_sandbox_network(),
        keep_secrets=env_kernel_keeps_secrets(),
        secret_values=_environment_secrets,
        hidden=(),
    )
    return status


def kernel_isolation(kernel_manager: Any, kernel_id: str) -> KernelIsolation:
    """How a running kernel was started; unknown ids and remote kernels: not sandboxed."""
    try:
        kernel = kernel_manager.get_kernel(kernel_id)
    except KeyError:
        return KernelIsolation(sandboxed=False)
    isolation = getattr(getattr(kernel, "provisioner", None), "isolation", None)
    return isolation if isinstance(isolation, KernelIsolation) else KernelIsolation(sandboxed=False)
