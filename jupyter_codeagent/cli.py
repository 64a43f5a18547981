"""``jupyter codeagent``: the command line of jupyter-codeagent."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from . import __version__


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
