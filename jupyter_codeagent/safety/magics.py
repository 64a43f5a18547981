"""Risk analysis of IPython escapes: ``!cmd``, ``%line`` and ``%%cell`` magics."""

from __future__ import annotations

import re

from .catalog import words
from .context import AnalysisContext
from .findings import RiskFinding, Severity, finding, shorten
from .notebook import PYTHON_CELL_MAGICS, Escape
from .paths import PathValue, check_write, is_secret_name, is_url
from .shell import analyze_shell, package_command, tokenize

_SHELL_CELL = frozenset({"bash", "sh", "zsh", "system", "!"})
_SCRIPT_CELL = frozenset({"python", "python2", "python3", "pypy", "perl", "ruby"})
_BROWSER_CELL = frozenset({"javascript", "js"})
_DISPLAY_CELL = frozenset({"html", "markdown", "latex", "svg", "md"})
_WRITE_CELL = frozenset({"writefile", "file"})
_SHELL_LINE = frozenset({"sx", "system", "sc"})
# IPython's default shell aliases: "%rm -rf x" is "rm -rf x" in a shell.
_ALIAS_LINE = words("rm rmdir mkdir mv cp cat ls ll lf lk lx ldir less man clear")
_PACKAGE_LINE = frozenset({"pip", "conda", "mamba", "micromamba", "uv"})
_PYTHON_LINE = frozenset({"time", "timeit", "prun", "debug", "memit"})
_CD_LINE = frozenset({"cd", "pushd"})
_HARMLESS_LINE = words(
    "matplotlib config autoreload aimport who whos who_ls precision pprint history hist "
    "load_ext reload_ext unload_ext store pwd pinfo pinfo2 psearch pdef pdoc psource pfile "
    "page xmode tb pdb lsmagic magic quickref colors doctest_mode automagic autocall "
    "autoawait set_env bookmark dhist dirs popd gui pylab alias_magic env load run reset "
    "reset_selective save notebook logstart tensorboard watermark sql_config capture"
)
_TIMEIT_OPTIONS = re.compile(r"^(\s*-(n|r|p)\s*\d+|\s*-[tcqo])+\s*")
_BRACES = re.compile(r"\{([^{}]+)\}")


def analyze_escape(escape: Escape, ctx: AnalysisContext) -> list[RiskFinding]:
    """All findings for one piece of notebook syntax."""
    if escape.kind == "shell":
        return _shell(escape.args, escape.line, "!", ctx)
    if escape.kind == "misplaced_cell_magic":
        return [
            finding(
                "syntax_error",
                "block",
                f"The cell magic %%{escape.name} must be on the "
                "first line of the cell; IPython will refuse to run it",
                escape.line,
            )
        ]
    found = _cell_magic(escape, ctx) if escape.kind == "cell_magic" else _line_magic(escape, ctx)
    if not found:  # nothing risky, but say the cell uses notebook syntax
        prefix = "%%" if escape.kind == "cell_magic" else "%"
        found.append(
            finding("magic", "info", f"Uses the IPython magic {prefix}{escape.name}", escape.line)
        )
    return found


def _shell(command: str, line: int, via: str, ctx: AnalysisContext) -> list[RiskFinding]:
    if not command.strip():
        return []
    return analyze_shell(
        command,
        scope=ctx.scope,
        line=line,
        via=via,
        python=ctx.python_hook(line),
        expand_python=True,
        depth=ctx.depth,
    )


def _expansions(args: str, line: int, ctx: AnalysisContext) -> list[RiskFinding]:
    """IPython evaluates ``{expr}`` in magic arguments as Python: analyse those too."""
    hook = ctx.python_hook(line)
    found: list[RiskFinding] = []
    for expression in _BRACES.findall(args):
        found += hook(expression)
    return found


def _line_magic(escape: Escape, ctx: AnalysisContext) -> list[RiskFinding]:
    name, args, line = escape.name, escape.args, escape.line
    if name in _SHELL_LINE:
        return _shell(args, line, f"%{name}", ctx)
    if name == "alias":  # %alias name command...: defines a shell shortcut
        return _shell(args.split(None, 1)[1] if " " in args.strip() else args, line, "%alias", ctx)
    if name in _ALIAS_LINE:
        return _shell(f"{name} {args}", line, f"%{name}", ctx)
    found = _expansions(args, line, ctx) if name not in _PYTHON_LINE else []
    if name in _PACKAGE_LINE:
        found += package_command(name, tokenize(args), line)
    elif name in _PYTHON_LINE:
        code = _TIMEIT_OPTIONS.sub("", args) if name in ("timeit", "time") else args
        found += ctx.python_hook(line)(code)
    elif name == "env":
        found += _env(args, line)
    elif name in _CD_LINE:
        found += _cd(args, line, ctx)
    elif name == "run":
        found.append(
            finding(
                "run_file",
                "warning",
                f"Runs another script or notebook "
                f"(%run {shorten(args, 50)}); its code is not checked",
                line,
            )
        )
    elif name == "load" and is_url(args.split()[0] if args.split() else ""):
        found.append(
            finding(
                "network_read",
                "warning",
                f"Loads code from the internet (%load {shorten(args, 50)})",
                line,
            )
        )
    elif name in ("reset", "reset_selective"):
        found.append(
            finding(
                "namespace_reset", "warning", "Deletes variables from the kernel (%reset)", line
            )
        )
    elif name in ("save", "notebook", "logstart") and args.split():
        target = [a for a in args.split() if not a.startswith("-")][:1]
        if target:
            found += check_write(
                PathValue(text=target[0]), ctx.scope, line=line, what=f"%{name}", unverified=False
            )
    elif name and name not in _HARMLESS_LINE:
        found.append(
            finding(
                "unanalysed_magic",
                "warning",
                f"Uses the IPython magic %{name}, which the safety check cannot analyse",
                line,
            )
        )
    return found


def _env(args: str, line: int) -> list[RiskFinding]:
    words = args.split()
    if not words:
        return [
            finding(
                "env_dump",
                "block",
                "Prints every environment variable (%env), including API keys — blocked",
                line,
            )
        ]
    if len(words) == 1 and "=" not in words[0] and is_secret_name(words[0]):
        return [
            finding(
                "secret_read",
                "high",
                f"Reads the secret-looking environment variable {words[0]}",
                line,
            )
        ]
    return []


def _cd(args: str, line: int, ctx: AnalysisContext) -> list[RiskFinding]:
    target = args.strip().strip("'\"") or "~"
    if target.startswith("-"):  # %cd -b bookmark, %cd -: cannot tell where
        value = None
    elif "{" in target or "$" in target:
        value = PathValue(text=re.split(r"[{$]", target)[0], exact=False)
    else:
        value = PathValue(text=target)
    place = ctx.scope.place(value)
    if place == "inside":
        return []
    severity: Severity = "warning" if place == "unknown" else "high"
    return [
        finding(
            "change_directory",
            severity,
            f"Changes the working directory to {target}; later relative paths resolve from there",
            line,
        )
    ]


def _cell_magic(escape: Escape, ctx: AnalysisContext) -> list[RiskFinding]:
    name, args, line = escape.name, escape.args, escape.line
    found = _expansions(args, line, ctx)
    if name in PYTHON_CELL_MAGICS:
        return found  # the body is analysed as the cell's Python
    program = name
    if name == "script":
        words = [w for w in args.split() if not w.startswith("-")]
        program = words[0].rsplit("/", 1)[-1] if words else ""
    if program in _SHELL_CELL or name in _SHELL_CELL:
        found += _shell_body(escape, f"%%{name}", ctx)
    elif program in _SCRIPT_CELL or re.match(r"^python\d", program):
        found.append(
            finding(
                "shell_command",
                "high",
                f"Runs the cell in a separate {program} process (%%{name})",
                line,
            )
        )
        if program.startswith(("python", "pypy")) and ctx.depth < 3:
            found += ctx.nested_python(
                escape.body, escape.body_line, depth=ctx.depth + 1, offset=True
            )
    elif name in _WRITE_CELL:
        words = [w for w in args.split() if not w.startswith("-")]
        target = words[0].strip("'\"") if words else ""
        value = PathValue(text=re.split(r"[{$]", target)[0], exact=not re.search(r"[{$]", target))
        found += check_write(value, ctx.scope, line=line, what=f"%%{name}")
    elif name in _BROWSER_CELL or (name == "html" and "<script" in escape.body.lower()):
        found.append(
            finding(
                "browser_script",
                "warning",
                "Runs JavaScript in your browser, where it can act in JupyterLab on your behalf",
                line,
            )
        )
    elif name not in _DISPLAY_CELL:
        found.append(
            finding(
                "unanalysed_magic",
                "warning",
                f"Uses the cell magic %%{name}, whose body the safety check cannot analyse",
                line,
            )
        )
    return found


def _shell_body(escape: Escape, via: str, ctx: AnalysisContext) -> list[RiskFinding]:
    """A shell script body: each line analysed on its own line, one summary finding."""
    found: list[RiskFinding] = []
    severities: list[str] = []
    lines = escape.body.replace("\\\n", " ").split("\n")
    for offset, text in enumerate(lines):
        if not text.strip() or text.strip().startswith("#"):
            continue
        line_findings = _shell(text, escape.body_line + offset, via, ctx)
        severities += [f.severity for f in line_findings if f.code == "shell_command"]
        found += [f for f in line_findings if f.code != "shell_command"]
    severity: Severity = "high" if "high" in severities else "warning"
    summary = shorten(" ; ".join(t.strip() for t in lines if t.strip()), 70)
    found.insert(
        0,
        finding(
            "shell_command", severity, f"Runs a shell script via {via}: `{summary}`", escape.line
        ),
    )
    return found
