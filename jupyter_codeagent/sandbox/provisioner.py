"""``SandboxProvisioner``: jupyter_client's local provisioner, with the kernel in bubblewrap.

Registered as the ``codeagent-sandbox`` kernel provisioner and made the server's default
by ``install_sandbox``, so every kernel the server starts — JupyterLab's own when a
notebook opens, and ours — comes through here. It runs in one of two modes, fixed at
the first launch of its kernel:

- *isolated*: the kernel runs under bubblewrap (see ``command``), talks ZMQ over IPC
  sockets in a private folder (it has its own network namespace, so TCP loopback
  cannot reach it), with an allow-listed environment and resource limits;
- *plain* (sandbox off or unavailable): a normal local kernel whose environment has
  lost the configured secrets, unless the user asked to keep them.

Interrupt, restart, shutdown and death detection are LocalProvisioner's: the process it
watches and signals is bubblewrap's, which lives exactly as long as the kernel, and
the process group reaches the kernel inside (SIGINT included, see ``launcher``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Int, List, Unicode, default

from .cgroups import KernelCgroup, create_kernel_cgroup, own_memory_limit
from .command import LAUNCHER, SandboxSpec, sandboxed_command
from .environment import sandbox_environment, without_secrets
from .install import current_policy
from .limits import ResourceLimits, parse_memory, physical_memory
from .paths import python_paths, read_only_in_root, with_real_paths
from .policy import KernelIsolation, SandboxPolicy

# Unix socket paths are limited to 108 bytes; ours are "<private dir>/k-<port>".
_MAX_IPC_PREFIX = 96


def _env_int(name: str, fallback: int) -> int:
    try:
        return int(os.environ.get(name, "").strip() or fallback)
    except ValueError:
        return fallback


class SandboxProvisioner(LocalProvisioner):
    """Local kernels under bubblewrap, or at least without the server's secrets."""

    memory_limit = Unicode(
        config=True,
        help="Memory one process of a sandboxed kernel may use: a share of the machine's "
        "(or container's) memory such as '75%', a size such as '8G', or '0' for no limit. "
        "Env: CODEAGENT_SANDBOX_MEMORY.",
    )
    max_processes = Int(
        config=True,
        help="Processes and threads a sandboxed kernel may run at once (0: no limit). "
        "Env: CODEAGENT_SANDBOX_PROCESSES.",
    )
    cpu_time_limit = Int(
        config=True,
        help="CPU seconds one process of a sandboxed kernel may use before it is killed "
        "(0: no limit, the default: kernels live long). Env: CODEAGENT_SANDBOX_CPU_SECONDS.",
    )
    extra_environment = List(
        Unicode(),
        config=True,
        help="Glob patterns of further environment variables a sandboxed kernel keeps "
        "(names that look like credentials are dropped regardless). "
        "Env: CODEAGENT_SANDBOX_ENV (comma-separated).",
    )

    @default("memory_limit")
    def _default_memory_limit(self) -> str:
        return os.environ.get("CODEAGENT_SANDBOX_MEMORY", "").strip() or "75%"

    @default("max_processes")
    def _default_max_processes(self) -> int:
        return _env_int("CODEAGENT_SANDBOX_PROCESSES", 1024)

    @default("cpu_time_limit")
    def _default_cpu_time_limit(self) -> int:
        return _env_int("CODEAGENT_SANDBOX_CPU_SECONDS", 0)

    @default("extra_environment")
    def _default_extra_environment(self) -> list[str]:
        raw = os.environ.get("CODEAGENT_SANDBOX_ENV", "")
        return [part.strip() for part in raw.split(",") if part.strip()]

    _policy: SandboxPolicy | None = None
    _private_dir: str | None = None
    _cgroup: KernelCgroup | None = None

    # --- what the lead's routes ask ---------------------------------------------

    @property
    def isolation(self) -> KernelIsolation:
        policy = self._policy
        if policy is None:  # not launched yet
            return KernelIsolation(sandboxed=False)
        return KernelIsolation(
            sandboxed=policy.isolate,
            network=policy.network if policy.isolate else None,
            secrets_stripped=policy.isolate or not policy.keep_secrets,
        )

    # --- launch ------------------------------------------------------------------

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        if self._policy is None:
            # Fixed for the kernel's life: a restart must not change its transport.
            policy = current_policy()
            if policy.failure:
                raise RuntimeError(policy.failure)
            self._policy = policy
            if policy.isolate:
                self._use_ipc()
        return await super().pre_launch(**kwargs)

    def _manager(self) -> Any:
        if self.parent is None:
            raise RuntimeError("a sandboxed kernel needs its kernel manager (parent)")
        return self.parent

    def _use_ipc(self) -> None:
        km = self._manager()
        self._private_dir = tempfile.mkdtemp(prefix="codeagent-k-")
        prefix = os.path.join(self._private_dir, "k")
        if len(prefix) > _MAX_IPC_PREFIX:
            raise RuntimeError(f"temp dir path too long for IPC sockets: {prefix!r}; set TMPDIR")
        # The connection file is written from these two traits right after this.
        km.transport = "ipc"
        km.ip = prefix

    def _finalize_env(self, env: dict[str, str]) -> None:
        super()._finalize_env(env)
        policy = self._policy or current_policy()
        if policy.isolate:
            kept = sandbox_environment(
                env,
                secrets=policy.secrets(),
                kernelspec_names=(self.kernel_spec.env or {}).keys(),
                extra_allowed=self.extra_environment,
                network=policy.network == "full",
            )
        elif policy.keep_secrets:
            return
        else:
            kept = without_secrets(env, policy.secrets())
        env.clear()
        env.update(kept)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        policy = self._policy
        if policy is None or not policy.isolate:
            return await super().launch_kernel(cmd, **kwargs)
        spec = self._spec(policy, cmd, kwargs)
        info = await super().launch_kernel(sandboxed_command(spec, cmd), **kwargs)
        if self._cgroup and self.pid and not self._cgroup.contains(self.pid):
            self.log.warning("kernel %s is not in its cgroup; only rlimits apply", self.kernel_id)
        return info

    def _limits(self) -> ResourceLimits:
        total = physical_memory()
        container = own_memory_limit()
        if container and (not total or container < total):
            total = container
        return ResourceLimits(
            memory_bytes=parse_memory(self.memory_limit, total),
            max_processes=max(0, self.max_processes),
            cpu_seconds=max(0, self.cpu_time_limit),
        )

    def _spec(self, policy: SandboxPolicy, cmd: list[str], kwargs: dict[str, Any]) -> SandboxSpec:
        km = self._manager()
        env: dict[str, str] = kwargs.get("env") or {}
        root = os.path.realpath(getattr(km.parent, "root_dir", None) or os.getcwd())
        cwd = os.path.realpath(str(kwargs.get("cwd") or root))
        limits = self._limits()
        if self._cgroup is None:
            self._cgroup = create_kernel_cgroup(
                f"codeagent-{self.kernel_id}",
                max_processes=limits.max_processes,
                memory_bytes=limits.memory_bytes,
            )
        connection_file = os.path.realpath(km.connection_file)
        hidden = with_real_paths(
            [*policy.hidden_paths, os.path.dirname(connection_file), *self._server_dirs()]
        )
        executable = shutil.which(cmd[0], path=env.get("PATH")) if cmd else None
        # The launcher runs inside the sandbox: its folder stays visible even when this
        # package lives under a folder the sandbox masks (a checkout in /tmp).
        needed = [
            os.path.dirname(LAUNCHER),
            *python_paths(),
            *env.get("PYTHONPATH", "").split(os.pathsep),
        ]
        home = env.get("HOME") or os.path.expanduser("~")
        ipython_dir = env.get("IPYTHONDIR") or os.path.join(home, ".ipython")
        if executable:
            needed.append(os.path.dirname(os.path.dirname(os.path.realpath(executable))))
        assert policy.bwrap and self._private_dir
        return SandboxSpec(
            bwrap=policy.bwrap,
            root=root,
            cwd=cwd,
            private_dir=self._private_dir,
            connection_file=connection_file,
            hidden=hidden,
            read_only=read_only_in_root(root, env),
            needed=tuple(p for p in needed if p),
            shown=(self.kernel_spec.resource_dir,) if self.kernel_spec.resource_dir else (),
            ipython_dir=os.path.realpath(ipython_dir),
            network=policy.network == "full",
            userns=policy.userns,
            disable_userns=policy.disable_userns,
            rlimits=limits.rlimits(userns=policy.userns),
            cgroup_procs=self._cgroup.procs_files if self._cgroup else (),
        )

    def _server_dirs(self) -> list[str]:
        """Where this server keeps kernel connection files, if not the default."""
        manager = getattr(self.parent, "parent", None)
        folder = getattr(manager, "connection_dir", "")
        return [folder] if folder else []

    # --- end ------------------------------------------------------------------------

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if restart:
            return  # the next launch reuses the folder, the sockets' names and the cgroup
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None
        if self._private_dir is not None:
            shutil.rmtree(self._private_dir, ignore_errors=True)
            self._private_dir = None

    async def get_provisioner_info(self) -> dict[str, Any]:
        info = await super().get_provisioner_info()
        info["codeagent_private_dir"] = self._private_dir
        return info

    async def load_provisioner_info(self, provisioner_info: dict[str, Any]) -> None:
        await super().load_provisioner_info(provisioner_info)
        self._private_dir = provisioner_info.get("codeagent_private_dir")
