"""``jupyter codeagent``: the command line of jupyter-codeagent."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__
from .settings import APPROVAL_POLICIES, PROVIDERS


def _configuration_from_environment() -> dict[str, object]:
    """The model configuration the server would use, read the same way (no secrets)."""
    from .extension import CodeAgentExtension
    from .models.factory import check_configuration

    app = CodeAgentExtension()
    readiness = check_configuration(app.model_settings())
    body: dict[str, object] = {
        "version": __version__,
        "ready": readiness.ready,
        "provider": readiness.provider,
        "model": readiness.model,
        "approval": app.approval,
    }
    if readiness.reason:
        body["reason"] = readiness.reason
    return body


def _cmd_check(args: argparse.Namespace) -> int:
    body = _configuration_from_environment()
    if args.json:
        print(json.dumps(body, indent=2))
    else:
        print(f"jupyter-codeagent {body['version']}")
        if body["ready"]:
            print(f"model: {body['provider']} / {body['model']} (approval: {body['approval']})")
        else:
            print(f"not ready: {body['reason']}")
    return 0 if body["ready"] else 1


def _cmd_run(args: argparse.Namespace) -> int:
    from .headless import RunOptions, run_notebook  # jupyter_server is imported only here

    return run_notebook(
        RunOptions(
            notebook=args.notebook,
            task=args.task,
            approval=args.approval,
            provider=args.provider,
            model=args.model,
            yes=args.yes,
            interactive=True if args.interactive else None,
            db_path=args.db,
            verbose=args.verbose,
        )
    )


def _add_run_parser(commands: Any) -> None:
    run = commands.add_parser(
        "run",
        help="run the agents on a notebook file from the terminal (no browser needed)",
        description="Plan, write, review and run cells for TASK in NOTEBOOK with a kernel "
        "started for the run; the cells and their outputs are saved in the notebook. "
        "Exit code: 0 done, 1 failed, 2 stopped (Ctrl-C or the step limit), 3 done but no "
        "code ran for a request that needed it (nothing was computed).",
    )
    run.add_argument("notebook", metavar="NOTEBOOK", help="the .ipynb file (created if missing)")
    run.add_argument("task", metavar="TASK", help="what the agents should do")
    run.add_argument(
        "--approval",
        choices=APPROVAL_POLICIES,
        help="which cells wait for your approval (default: CODEAGENT_APPROVAL, else always)",
    )
    run.add_argument("--provider", choices=PROVIDERS, help="override CODEAGENT_PROVIDER")
    run.add_argument("--model", help="override CODEAGENT_MODEL")
    run.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="approve every cell that waits for approval (blocked cells still never run)",
    )
    run.add_argument(
        "--interactive",
        action="store_true",
        help="ask on stdin even when it is not a terminal (answers piped in, one per line)",
    )
    run.add_argument(
        "--db",
        metavar="PATH",
        help="SQLite file that keeps the session (default: a temporary one)",
    )
    run.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="stream the agents' text and tool calls as they happen, and log what the services do",
    )
    run.set_defaults(handler=_cmd_run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter codeagent",
        description="Planner, coder and reviewer agents that work in your Jupyter notebooks. "
        "Start JupyterLab and open the Code Agent sidebar, or use the commands below.",
    )
    parser.add_argument("--version", action="version", version=f"jupyter-codeagent {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = commands.add_parser(
        "check",
        help="show the model configuration read from the environment and whether it is ready",
    )
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(handler=_cmd_check)
    _add_run_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    return int(handler(args))


if __name__ == "__main__":
    sys.exit(main())
