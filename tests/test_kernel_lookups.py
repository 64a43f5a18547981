# ruff: noqa: F811  (pytest fixtures imported from tests/kernel_fixtures.py are parameters)
"""Look-ups run nothing: describe_api reads a module's source instead of importing it,
and inspecting a variable never calls the user's ``__repr__``/``__len__``/properties.

Its own kernel (a fresh one: pandas must not be imported yet for the first tests).
"""

from __future__ import annotations

import ast
import collections
import importlib.machinery
import textwrap
from pathlib import Path

import pytest

from jupyter_codeagent.kernel import helpers
from tests.kernel_fixtures import KernelEnv, kernel_env  # noqa: F401

pytestmark = pytest.mark.asyncio(loop_scope="module")

SIDE_EFFECT = """
import pathlib
pathlib.Path({marker!r}).write_text("imported")
"""

TEAM_MODULE = '''
"""Scoring helpers of our team."""
{side_effect}
__all__ = ["score", "Scorer", "THRESHOLD"]

THRESHOLD = 0.75


def score(frame, *, column="y", weights=None) -> float:
    """Score one frame.

    Longer text.
    """
    return 0.0


class Scorer:
    """Keeps a running score."""

    def __init__(self, threshold: float = THRESHOLD):
        self.threshold = threshold

    def update(self, value, /, weight=1.0):
        """Add one value."""

    @property
    def ready(self):
        """True once updated."""
        return True


def _private():
    pass
'''


async def _in_kernel(env: KernelEnv, expression: str) -> object:
    result = await env.run(f"print('<<' + repr({expression}) + '>>')")
    assert result.status == "ok", env.bridge.outputs_for_model(result)
    printed = "".join(o["text"] for o in result.outputs if o.get("name") == "stdout")
    # (IPython may print its own warnings on stdout too: take what is between the marks)
    return ast.literal_eval(printed.split("<<", 1)[1].split(">>", 1)[0])


def _write_library(root: Path, marker: Path) -> None:
    effect = SIDE_EFFECT.format(marker=str(marker))
    (root / "team_scoring.py").write_text(TEAM_MODULE.format(side_effect=effect))
    package = root / "teamkit"
    (package / "models").mkdir(parents=True)
    (package / "__init__.py").write_text(
        f'"""Team kit."""\n{effect}\nfrom .models.fitting import fit_model\nfrom . import io\n'
    )
    (package / "io.py").write_text(f'"""Readers."""\n{effect}\ndef read(path):\n    pass\n')
    (package / "models" / "__init__.py").write_text(effect)
    (package / "models" / "fitting.py").write_text(
        effect
        + textwrap.dedent(
            '''
            from dataclasses import dataclass


            def fit_model(df, target: str, *, folds: int = 5):
                """Fit the team's model with cross-validation."""


            @dataclass
            class Config:
                """Fitting options."""

                folds: int = 5
                seed: int | None = None
            '''
        )
    )
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    (root / f"fastcore{suffix}").write_bytes(b"\x7fELF not really")


async def test_describe_api_reads_the_source_and_runs_nothing(kernel_env: KernelEnv) -> None:
    root = kernel_env.root
    marker = root / "imported.marker"
    _write_library(root, marker)
    bridge, kid = kernel_env.bridge, kernel_env.kernel_id
    assert await _in_kernel(kernel_env, "'pandas' in __import__('sys').modules") is False

    module = await bridge.describe_api(kid, "team_scoring")
    assert module.ok, module.text
    assert module.text.startswith("module team_scoring (")
    assert "described from its source without importing it" in module.text
    assert "Scoring helpers of our team." in module.text
    assert "score(frame, *, column='y', weights=None) -> float — Score one frame." in module.text
    assert "class Scorer(threshold: float = THRESHOLD) — Keeps a running score." in module.text
    assert "THRESHOLD = 0.75" in module.text and "_private" not in module.text

    method = await bridge.describe_api(kid, "team_scoring.Scorer")
    assert "update(self, value, /, weight=1.0) — Add one value." in method.text
    assert "ready (property) — True once updated." in method.text

    fit = await bridge.describe_api(kid, "teamkit.fit_model")  # a re-export, followed
    assert fit.ok, fit.text
    assert fit.text.startswith("function teamkit.models.fitting.fit_model(df, target: str, *")
    assert "Fit the team's model with cross-validation." in fit.text
    config = await bridge.describe_api(kid, "teamkit.models.fitting.Config")
    assert "class teamkit.models.fitting.Config(folds: int = 5, seed: int | None = None)" in (
        config.text
    )
    package = await bridge.describe_api(kid, "teamkit")
    assert "fit_model(df, target: str, *, folds: int = 5)" in package.text
    assert "submodules: io, models" in package.text
    read = await bridge.describe_api(kid, "teamkit.io.read")
    assert read.ok and "function teamkit.io.read(path)" in read.text

    # pandas was never imported in this kernel: found through two re-exports.
    merge = await bridge.describe_api(kid, "pandas.merge_asof")
    assert merge.ok, merge.text
    assert "merge_asof(left" in merge.text and "direction" in merge.text
    assert "Perform a merge by key distance." in merge.text

    compiled = await bridge.describe_api(kid, "fastcore")
    assert not compiled.ok and "compiled extension" in compiled.text
    assert "import it in a cell" in compiled.text
    missing = await bridge.describe_api(kid, "team_scoring.nothing")
    assert not missing.ok and "no attribute 'nothing'" in missing.text

    assert not marker.exists()
    loaded = "[m for m in ('team_scoring', 'teamkit', 'teamkit.io', 'pandas', 'fastcore') " + (
        "if m in __import__('sys').modules]"
    )
    assert await _in_kernel(kernel_env, loaded) == []


async def test_describe_api_of_an_imported_module_is_live(kernel_env: KernelEnv) -> None:
    """Once the user imported it (the cell ran, reviewed), the live module is described."""
    marker = kernel_env.root / "live.marker"
    (kernel_env.root / "live_lib.py").write_text(
        SIDE_EFFECT.format(marker=str(marker))
        + f"def __getattr__(name):\n    open({str(marker)!r}, 'w').write(name)\n    return 1\n"
        + "def shout(text, times=2):\n    '''Louder.'''\n"
    )
    result = await kernel_env.run("import live_lib\nimport os; os.remove('live.marker')")
    assert result.status == "ok", kernel_env.bridge.outputs_for_model(result)
    bridge, kid = kernel_env.bridge, kernel_env.kernel_id
    shout = await bridge.describe_api(kid, "live_lib.shout")
    assert shout.ok and shout.text.startswith("function live_lib.shout(text, times=2)")
    # A module-level __getattr__ is the module's code: never called by a look-up.
    lazy = await bridge.describe_api(kid, "live_lib.anything")
    assert not lazy.ok
    listing = await bridge.describe_api(kid, "live_lib")
    assert listing.ok and "shout(text, times=2) — Louder." in listing.text
    assert not marker.exists()


USER_OBJECTS = """
import numpy as np, pandas as pd
from sklearn.model_selection import GridSearchCV

class Sneaky:
    calls = 0

    def __init__(self):
        self.rows = [1, 2, 3]
        self.label = "north"

    def _hit(self):
        type(self).calls += 1

    def __repr__(self):
        self._hit()
        return "Sneaky()"

    def __str__(self):
        self._hit()
        return "sneaky"

    def __len__(self):
        self._hit()
        return 3

    def __eq__(self, other):
        self._hit()
        return False

    def __hash__(self):
        self._hit()
        return 1

    def __getattr__(self, name):
        self._hit()
        raise AttributeError(name)

    @property
    def total(self):
        '''Sum of the rows.'''
        self._hit()
        return 6

    def fit(self, data, *, rounds=3):
        self._hit()


class CountingDict(dict):
    def __len__(self):
        Sneaky.calls += 1
        return 0

    def __repr__(self):
        Sneaky.calls += 1
        return "{}"


sneaky = Sneaky()
bag = [sneaky, 1, {"inner": sneaky}]
table = pd.DataFrame({"thing": [sneaky, sneaky, "text"], "n": [1, 2, 3]})
things = pd.Series([sneaky, None], name="things")
objects = np.array([sneaky, None], dtype=object)
counting = CountingDict(a=1, b=2)
search = GridSearchCV(sneaky, {"rounds": [1, 2]})  # a library object holding one
def uses(value=sneaky, *, scale: float = 1.0):
    return value
Sneaky.calls = 0
"""


async def test_inspecting_user_objects_calls_none_of_their_code(kernel_env: KernelEnv) -> None:
    setup = await kernel_env.run(USER_OBJECTS)
    assert setup.status == "ok", kernel_env.bridge.outputs_for_model(setup)
    bridge, kid = kernel_env.bridge, kernel_env.kernel_id

    summaries = {v.name: v.summary for v in await bridge.list_variables(kid)}
    assert summaries["sneaky"] == "Sneaky instance"
    assert summaries["counting"] == "CountingDict (dict subclass) 2 keys"
    assert summaries["table"] == "DataFrame 3 × 2"  # noqa: RUF001

    text = {}
    for name in ("sneaky", "sneaky.total", "sneaky.rows", "bag", "table", "things", "objects"):
        tool = await bridge.inspect_variable(kid, name)
        assert tool.ok, tool.text
        text[name] = tool.text
    for name in ("counting", "uses", "Sneaky", "search"):
        text[name] = (await bridge.inspect_variable(kid, name)).text
    text["api"] = (await bridge.describe_api(kid, "sneaky.fit")).text
    missing = await bridge.inspect_variable(kid, "sneaky.nothing")  # would hit __getattr__
    _run, _diff = await bridge.execute(kid, "sneaky.label = 'south'", track_namespace=True)

    assert await _in_kernel(kernel_env, "Sneaky.calls") == 0

    assert "described from type information only" in text["sneaky"]
    assert "rows: list 3 items" in text["sneaky"] and "label: str 'north'" in text["sneaky"]
    assert "properties (not evaluated): total" in text["sneaky"]
    assert "fit(self, data, *, rounds=3)" in text["sneaky"]
    assert "defines (not called): __len__, __repr__, __str__" in text["sneaky"]
    assert "property of a class defined outside well-known libraries" in text["sneaky.total"]
    assert "Sum of the rows." in text["sneaky.total"]
    assert "shape" not in text["sneaky.rows"] and "list 3 items" in text["sneaky.rows"]
    assert "<__main__.Sneaky object>" in text["bag"]
    assert "<__main__.Sneaky object>" in text["table"] and "not counted" in text["table"]
    assert "'n'  int64" in text["table"] and "min 1  max 3  mean 2" in text["table"]
    assert "<__main__.Sneaky object>" in text["things"]
    assert "first elements (2 of 2): <__main__.Sneaky object>, None" in text["objects"]
    assert "dict contents: 2 keys" in text["counting"]
    assert "uses(value=<__main__.Sneaky object>, *, scale: float = 1.0)" in text["uses"]
    assert "class __main__.Sneaky" in text["Sneaky"]
    assert "estimator = <__main__.Sneaky object>" in text["search"]
    assert "function __main__.Sneaky.fit(self, data, *, rounds=3)" in text["api"]
    assert not missing.ok and "has no attribute 'nothing'" in missing.text


async def test_the_kernel_parts_define_each_name_once() -> None:
    """The parts are concatenated into one module: a name defined in two parts would
    silently replace the first part's (e.g. two different ``_cut``)."""
    owners: dict[str, list[str]] = collections.defaultdict(list)
    here = Path(helpers.__file__).parent
    for part in helpers._PARTS:
        tree = ast.parse((here / part).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                owners[node.name].append(part)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        owners[target.id].append(part)
    twice = {name: parts for name, parts in owners.items() if len(parts) > 1}
    assert twice == {}
