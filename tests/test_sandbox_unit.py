"""The sandbox's pure parts: environment filter, command line, limits, launcher, status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_codeagent.sandbox import SandboxStatus, sandbox_status
from jupyter_codeagent.sandbox.cgroups import _folder
from jupyter_codeagent.sandbox.command import LAUNCHER, SandboxSpec, bwrap_argv
from jupyter_codeagent.sandbox.environment import sandbox_environment, without_secrets
from jupyter_codeagent.sandbox.limits import ResourceLimits, parse_memory
from jupyter_codeagent.sandbox.paths import hidden_paths, read_only_in_root
from jupyter_codeagent.sandbox.probe import probe_bwrap

CONFIGURED = "sk-configured-0123456789"
HOST_ENV = {
    "PATH": "/usr/bin",
    "HOME": "/home/ada",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONPATH": "/opt/lib",
    "CONDA_PREFIX": "/opt/conda",
    "OPENAI_API_KEY": "sk-from-env-but-not-configured",
    "ANTHROPIC_API_KEY": "a-key",
    "MY_PROXY_SETTING": f"https://user:{CONFIGURED}@proxy",
    "GITHUB_TOKEN": "ghp_abcdefghijklmnop",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-value-123",
    "JUPYTERHUB_API_TOKEN": "hub-token-value-123",
    "JUPYTERHUB_USER": "ada",
    "JPY_API_TOKEN": "hub-token-value-123",
    "CODEAGENT_OTHER_KEY": "x" * 20,
    "HTTPS_PROXY": "http://proxy:3128",
    "MY_KERNEL_SETTING": "42",
    "TEAM_DATA_DIR": "/data",
    "PYTHON_KEYRING_PASSWORD": "kr-secret-value-1",
}


# --- environment --------------------------------------------------------------------


def test_unsandboxed_kernels_lose_only_the_configured_secrets() -> None:
    env = without_secrets(HOST_ENV, [CONFIGURED])
    assert "OPENAI_API_KEY" not in env and "ANTHROPIC_API_KEY" not in env
    assert "MY_PROXY_SETTING" not in env  # holds a configured value
    assert "CODEAGENT_OTHER_KEY" not in env
    assert env["GITHUB_TOKEN"] == HOST_ENV["GITHUB_TOKEN"]  # an ordinary kernel otherwise
    assert env["PATH"] == "/usr/bin"


def test_sandboxed_kernels_get_an_allow_list_without_credentials() -> None:
    env = sandbox_environment(
        HOST_ENV,
        secrets=[CONFIGURED],
        kernelspec_names=["MY_KERNEL_SETTING"],
        extra_allowed=["TEAM_*", "GITHUB_*"],
    )
    for name in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "CONDA_PREFIX"):
        assert env[name] == HOST_ENV[name]
    assert env["MY_KERNEL_SETTING"] == "42"  # set by the kernelspec on purpose
    assert env["TEAM_DATA_DIR"] == "/data"  # the user's own pattern
    for name in (
        "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MY_PROXY_SETTING", "GITHUB_TOKEN",
        "AWS_SECRET_ACCESS_KEY", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_USER", "JPY_API_TOKEN",
        "CODEAGENT_OTHER_KEY", "HTTPS_PROXY", "PYTHON_KEYRING_PASSWORD",
    ):  # fmt: skip
        assert name not in env, name
    assert env["TMPDIR"] == "/tmp" and env["MPLCONFIGDIR"].startswith("/tmp/")
    assert "HTTPS_PROXY" in sandbox_environment(HOST_ENV, secrets=[], network=True)


# --- command line ---------------------------------------------------------------------


def _spec(tmp_path: Path, **overrides: object) -> SandboxSpec:
    root = tmp_path / "root"
    for folder in (root, tmp_path / "runtime", tmp_path / "ipc", root / ".secrets"):
        folder.mkdir(parents=True, exist_ok=True)
    (tmp_path / "runtime" / "kernel-1.json").write_text("{}")
    (root / ".netrc").write_text("machine x password y")
    values: dict[str, object] = {
        "bwrap": "/usr/bin/bwrap",
        "root": str(root),
        "cwd": str(root),
        "private_dir": str(tmp_path / "ipc"),
        "connection_file": str(tmp_path / "runtime" / "kernel-1.json"),
        "hidden": (str(tmp_path / "runtime"), str(root / ".secrets"), str(root / ".netrc")),
    }
    values.update(overrides)
    return SandboxSpec(**values)  # type: ignore[arg-type]


def _index(args: list[str], *option: str) -> int:
    for i in range(len(args) - len(option) + 1):
        if tuple(args[i : i + len(option)]) == option:
            return i
    raise AssertionError(f"{option} not in {args}")


def test_mount_order_puts_hiding_over_the_root_and_ipc_over_hiding(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    args = bwrap_argv(spec)
    root_bind = _index(args, "--bind", spec.root, spec.root)
    assert _index(args, "--tmpfs", "/tmp") < root_bind  # a root under /tmp survives
    secrets = _index(args, "--tmpfs", f"{spec.root}/.secrets")  # inside the writable root
    assert root_bind < secrets
    # Files get /dev/null; hidden paths under the private /tmp need no mount at all.
    assert _index(args, "--ro-bind", "/dev/null", f"{spec.root}/.netrc") > root_bind
    assert str(tmp_path / "runtime") not in args
    connection = _index(args, "--ro-bind", spec.connection_file, spec.connection_file)
    assert connection > secrets
    assert _index(args, "--remount-ro", f"{spec.root}/.secrets") > connection
    assert "--unshare-net" in args and "--cap-drop" in args
    assert args[-2:] == ["--chdir", spec.root]
    assert "--unshare-net" not in bwrap_argv(_spec(tmp_path, network=True))


def test_a_path_shown_again_from_tmp_does_not_show_what_is_hidden_in_it(tmp_path: Path) -> None:
    spec = _spec(tmp_path, needed=(str(tmp_path), "/tmp"))
    args = bwrap_argv(spec)
    shown = _index(args, "--ro-bind", str(tmp_path), str(tmp_path))
    assert _index(args, "--tmpfs", str(tmp_path / "runtime")) > shown
    assert "/tmp" not in args[args.index("--tmpfs") + 2 :]  # never the whole host /tmp


def test_ipython_profile_is_read_only_and_the_history_the_kernels_own(tmp_path: Path) -> None:
    ipython = tmp_path / "ipython"
    profile = ipython / "profile_default"
    (profile / "startup").mkdir(parents=True)
    (profile / "history.sqlite").write_text("")
    (profile / "history.sqlite-journal").write_text("")  # left over by a crash
    (profile / "ipython_config.py").write_text("")
    args = bwrap_argv(_spec(tmp_path, ipython_dir=str(ipython)))
    assert _index(args, "--tmpfs", str(ipython)) >= 0
    # The shared history is never bound in: the kernel writes its own in scratch space.
    assert str(profile / "history.sqlite") not in args
    assert str(profile / "history.sqlite-journal") not in args
    for name in ("startup", "ipython_config.py"):
        assert _index(args, "--ro-bind", str(profile / name), str(profile / name))


def test_read_only_in_root_covers_dotfiles_of_a_home_root_and_git(tmp_path: Path) -> None:
    (tmp_path / ".bashrc").write_text("")
    (tmp_path / ".git").mkdir()
    (tmp_path / "data.csv").write_text("")
    protected = read_only_in_root(str(tmp_path), {"HOME": str(tmp_path)})
    assert str(tmp_path / ".bashrc") in protected and str(tmp_path / ".git") in protected
    assert str(tmp_path / "data.csv") not in protected and str(tmp_path) not in protected


def test_hidden_paths_include_jupyter_state_credentials_and_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "rt"))
    env = {"HOME": "/home/ada", "GOOGLE_APPLICATION_CREDENTIALS": "/keys/sa.json"}
    hidden = hidden_paths(db_path="/data/codeagent.db", environ=env)
    for path in (
        str(tmp_path / "rt"), "/home/ada/.ssh", "/home/ada/.aws", "/home/ada/.netrc",
        "/home/ada/.config/gcloud", "/keys/sa.json", "/data/codeagent.db",
        "/data/codeagent.db-wal",
    ):  # fmt: skip
        assert path in hidden, path


# --- limits and the launcher ------------------------------------------------------------


def test_parse_memory() -> None:
    assert parse_memory("50%", 1000) == 500
    assert parse_memory("512M", 0) == 512 * 1024**2
    assert parse_memory("1.5GiB", 0) == int(1.5 * 1024**3)
    assert parse_memory("0", 1000) == 0 and parse_memory("none", 1000) == 0
    with pytest.raises(ValueError):
        parse_memory("lots", 1000)


def test_rlimits_always_forbid_core_dumps() -> None:
    limits = ResourceLimits(memory_bytes=10, cpu_seconds=5).rlimits(userns=True)
    assert limits["RLIMIT_CORE"] == 0 and limits["RLIMIT_DATA"] == 10
    assert limits["RLIMIT_CPU"] == 5


def test_launcher_applies_limits_and_restores_sigint() -> None:
    probe = (
        "import resource, signal; "
        "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0], "
        "signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    )
    launcher = [sys.executable, "-I", "-S", LAUNCHER, json.dumps({"RLIMIT_NOFILE": 64}), "--"]
    # As the provisioner starts it: from a shell that ignores SIGINT.
    done = subprocess.run(
        ["/bin/sh", "-c", 'trap "" INT; exec "$@"', "sh", *launcher, sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.split() == ["64", "True"]


def test_cgroup_folder_of_a_container_mount() -> None:
    assert _folder("/sys/fs/cgroup/pids", "/", "/") == "/sys/fs/cgroup/pids"
    assert _folder("/sys/fs/cgroup", "/", "/user.slice/x") == "/sys/fs/cgroup/user.slice/x"
    assert _folder("/sys/fs/cgroup", "/docker/abc", "/docker/abc/k") == "/sys/fs/cgroup/k"


# --- status ---------------------------------------------------------------------------------


def test_status_json_and_probe_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    assert SandboxStatus(available=True, active=True).to_json() == {
        "available": True,
        "active": True,
    }
    monkeypatch.setenv("CODEAGENT_SANDBOX", "off")
    status = sandbox_status()
    assert status.active is False and status.reason == "sandbox=off"
    before = probe_bwrap.cache_info().hits
    sandbox_status()
    assert probe_bwrap.cache_info().hits > before  # bwrap ran at most once
    if os.path.exists("/usr/bin/bwrap"):
        assert status.available is probe_bwrap().works
