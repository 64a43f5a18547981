"""Which calls any call check can care about: a cheap test that lets the rest be skipped.

Most calls in a data-science cell (``df.groupby``, ``np.mean``, ``plt.plot``) concern no
check; running every check on each of them dominated the analysis time of a large cell.
The sets are built from the catalog tables themselves, so a name added to a table is
never filtered out by mistake.
"""

from __future__ import annotations

from . import catalog
from .browser import HTML_DISPLAYS, SCRIPT_DISPLAYS
from .controlplane import CONTROL_MODULES

_QUALIFIED: frozenset[str] = frozenset().union(
    catalog.SHELL_STRING_CALLS,
    catalog.SHELL_ARGV_CALLS,
    catalog.SHELL_ARGV_PREFIXES,
    catalog.DELETE_CALLS,
    catalog.TREE_DELETE_CALLS,
    catalog.OPEN_CALLS,
    catalog.WRITE_CALLS,
    catalog.LINK_CALLS,
    catalog.INPLACE_FILE_CALLS,
    catalog.REMOTE_CODE_CALLS,
    catalog.NETWORK_CALLS,
    catalog.GETENV_CALLS,
    catalog.DOTENV_DUMP,
    catalog.DOTENV_LOAD,
    catalog.PASSWORD_PROMPTS,
    catalog.DYNAMIC_IMPORTS,
    catalog.RUN_FILE_CALLS,
    catalog.KERNEL_KILL_CALLS,
    catalog.PROCESS_EXIT_CALLS,
    catalog.PROCESS_KILL_CALLS,
    catalog.SIGNAL_CALLS,
    catalog.CHDIR_CALLS,
    catalog.PACKAGE_CALLS,
    catalog.EXEC_CALLS,
    catalog.DESERIALIZERS,
    catalog.PICKLE_LOADERS,
    catalog.YAML_UNSAFE_CALLS,
    catalog.FORK_CALLS,
    catalog.LINK_CALLS,
    {"os.open", "os.truncate", "yaml.load", "getattr", "object.__getattribute__", "vars"},
)
_QUALIFIED_PREFIXES = (
    *catalog.SHELL_ARGV_PREFIXES,
    *catalog.DOWNLOAD_PREFIXES,
    "sh.",
    "psutil.",
)
_METHODS: frozenset[str] = frozenset().union(
    catalog.SHELL_METHOD_NAMES,
    catalog.DELETE_METHOD_NAMES,
    catalog.WRITE_METHOD_NAMES,
    catalog.PATH_SELF_WRITE_METHODS,
    catalog.LINK_METHOD_NAMES,
    catalog.PATH_MOVE_METHODS,
    catalog.NETWORK_METHOD_NAMES,
    catalog.READER_NAMES,
    catalog.DOWNLOAD_NAMES,
    SCRIPT_DISPLAYS,
    HTML_DISPLAYS,
    {"open", "save", "to_sql", "drop_all", "get", "__getattribute__", "kill", "terminate"},
    {"send_signal", "system", "popen"},
)
# Modules any of whose functions a check cares about.
_FAMILIES: frozenset[str] = frozenset(
    {*catalog.NETWORK_MODULES, *CONTROL_MODULES, *catalog.NATIVE_MODULES}
    | set(catalog.CREDENTIAL_STORE_MODULES)
)
_PREFIXES = (*catalog.READER_PREFIXES, "fetch_")


def call_matters(qual: str, method: str | None) -> bool:
    """Could any call check find something in a call to ``qual`` (or ``.method``)?"""
    if qual and (
        qual in _QUALIFIED
        or qual.startswith(_QUALIFIED_PREFIXES)
        or "get_ipython()" in qual
        or catalog.dotted_prefix(qual, _FAMILIES, exact=True)
    ):
        return True
    last = method if method is not None else qual.rsplit(".", 1)[-1]
    return last in _METHODS or last.startswith(_PREFIXES)
