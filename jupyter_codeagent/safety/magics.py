"""Risk analysis of IPython escapes: ``!cmd``, ``%line`` and ``%%cell`` magics."""

from __future__ import annotations

import re
from dataclasses import replace

from .browser import html_findings
from .catalog import AUTORUN_FILE_NAMES, AUTORUN_SUFFIXES, words
from .context import MAX_DEPTH, AnalysisContext
from .controlplane import CONTROL_MAGICS, is_control_env
from .findings import RiskFinding, Severity, finding, shorten
from .magic_args import magic_python
from .notebook import PYTHON_CELL_MAGICS, Escape, parse_python
from .paths import PathValue, check_write, is_secret_name, is_url
from .shell import analyze_shell, package_command, tokenize
from .sqltext import sql_findings

_SHELL_CELL = frozenset({"bash", "sh", "zsh", "system", "!"})
_SCRIPT_CELL = frozenset({"python", "python2", "python3", "pypy", "perl", "ruby"})
_BROWSER_CELL = frozenset({"javascript", "js"})
_DISPLAY_CELL = frozenset({"html", "markdown", "latex", "svg", "md"})
_SQL_MAGICS = frozenset({"sql", "sqlite", "duckdb", "bigquery", "snowflake", "spark_sql"})
_PYTHON_FILES = (".py", ".pyw", ".ipy", ".pyx")
_SHELL_FILES = (".sh", ".bash", ".zsh")
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
    key = (command, via)
    if key not in ctx.shell_memo:
        ctx.shell_memo[key] = analyze_shell(
            command,
            scope=ctx.scope,
            line=None,
            via=via,
            python=ctx.python_hook(None),
            expand_python=True,
            depth=ctx.depth,
        )
    return [replace(f, line=line) for f in ctx.shell_memo[key]]


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
        found += _magic_python(name, args, line, ctx)
    elif name in CONTROL_MAGICS:
        found.append(
            finding(
                "jupyter_control",
                "high",
                f"%{name} shows or uses the kernel's connection details (its sockets and "
                "signing key)",
                line,
            )
        )
    elif name in _SQL_MAGICS:
        found += sql_findings(args, line) or [_unanalysed(f"%{name}", line)]
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
    elif name == "load":
        remote = is_url(args.split()[0] if args.split() else "")
        found.append(
            finding(
                "network_read" if remote else "code_load",
                "warning",
                f"Loads code{' from the internet' if remote else ''} into the next cell "
                f"(%load {shorten(args, 50)}); check it before running it",
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


def _unanalysed(what: str, line: int) -> RiskFinding:
    return finding(
        "unanalysed_magic",
        "warning",
        f"Uses the IPython magic {what}, which the safety check cannot analyse",
        line,
    )


def _magic_python(name: str, args: str, line: int, ctx: AnalysisContext) -> list[RiskFinding]:
    """%timeit -s setup stmt, %%timeit setup, %prun stmt...: every piece of Python they run."""
    split = magic_python(name, args)
    readable = split.readable
    found: list[RiskFinding] = []
    for piece in split.pieces:
        try:
            parse_python(piece)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            readable = False
            continue
        found += ctx.python_hook(line)(piece)
    if not readable:
        found.append(_unanalysed(f"%{name} with arguments it cannot read as Python", line))
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
    found: list[RiskFinding] = []
    if len(words) == 1 and "=" not in words[0] and is_secret_name(words[0]):
        found.append(
            finding(
                "secret_read",
                "high",
                f"Reads the secret-looking environment variable {words[0]}",
                line,
            )
        )
    name = words[0].split("=", 1)[0]
    if is_control_env(name):
        found.append(
            finding(
                "jupyter_control",
                "high",
                f"Reads or sets {name}, which belongs to the Jupyter server or this extension",
                line,
            )
        )
    return found


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
        if name in ("timeit", "prun", "memit", "debug") and args.strip():
            found += _magic_python(name, args, line, ctx)  # %%timeit's line is the setup
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
        found += _write_file(escape, ctx)
    elif name in _BROWSER_CELL:
        found.append(
            finding(
                "browser_script",
                "high",
                "Runs JavaScript in your browser, where it acts in JupyterLab with your login",
                line,
            )
        )
    elif name in _DISPLAY_CELL:
        found += [
            RiskFinding(code=f.code, severity=f.severity, message=f.message, line=line)
            for f in html_findings(escape.body, line)
        ]
    elif name in _SQL_MAGICS:
        found += sql_findings(escape.body, line) or [_unanalysed(f"%%{name}", line)]
    else:
        found.append(
            finding(
                "unanalysed_magic",
                "warning",
                f"Uses the cell magic %%{name}, whose body the safety check cannot analyse",
                line,
            )
        )
    return found


def _write_file(escape: Escape, ctx: AnalysisContext) -> list[RiskFinding]:
    """%%writefile: where it writes, and the code it writes (it runs when imported or run)."""
    words = [w for w in escape.args.split() if not w.startswith("-")]
    target = words[0].strip("'\"") if words else ""
    computed = "{" in target or "$" in target
    value = PathValue(text=re.split(r"[{$]", target)[0], exact=not computed)
    what = f"%%{escape.name}"
    found = check_write(value, ctx.scope, line=escape.line, what=what)
    name = target.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if name in AUTORUN_FILE_NAMES or name.endswith(AUTORUN_SUFFIXES) or "/startup/" in target:
        found.append(
            finding(
                "autorun_file",
                "high",
                f"Writes {name}, which Python, IPython or pytest runs by itself later ({what})",
                escape.line,
            )
        )
    if name.endswith(_PYTHON_FILES) and ctx.depth < MAX_DEPTH:
        # The module runs when imported: its code is judged now, at its own lines.
        found += ctx.nested_python(escape.body, escape.body_line, depth=ctx.depth + 1, offset=True)
    elif name.endswith(_SHELL_FILES):
        script = _shell_body(escape, f"a script written by {what}", ctx)
        found += [f for f in script if f.code != "shell_command" or f.severity == "high"]
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
