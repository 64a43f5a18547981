# ruff: noqa: F811  (pytest fixtures imported from tests/kernel_fixtures.py are parameters)
"""Variables as session data objects: listing, inspection, describe_api, namespace diff."""

from __future__ import annotations

import textwrap

import pytest
import pytest_asyncio

from tests.kernel_fixtures import CONFIGURED_SECRET, KernelEnv, kernel_env  # noqa: F401

pytestmark = pytest.mark.asyncio(loop_scope="module")

SETUP = """
import os, json
import numpy as np
import pandas as pd
from math import sqrt
from collections import OrderedDict
from typing import Any
from sklearn.linear_model import LogisticRegression

df = pd.DataFrame({"a": np.arange(1000.0), "b": ["x", "y"] * 500, "c": np.nan})
arr = np.zeros((512, 512))
d = {f"k{i}": i for i in range(12)}
s = "x" * 3200
short = "hello"
n = 42
nums = [1, 2.5, "three"]
model = LogisticRegression(C=0.5).fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
big = pd.DataFrame(np.ones((300_000, 3)), columns=["p", "q", "r"])
secret_holder = "key=" + "sk-configured-" + "DO-NOT-LEAK-42"
def user_fn(x, y=1):
    return x + y
class Point:
    pass
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(kernel_env: KernelEnv) -> KernelEnv:
    """The module's kernel with SETUP's variables defined."""
    result = await kernel_env.run(SETUP)
    assert result.status == "ok", kernel_env.bridge.outputs_for_model(result)
    return kernel_env


async def test_list_variables_shows_user_data_only(env: KernelEnv) -> None:
    variables = {v.name: v for v in await env.bridge.list_variables(env.kernel_id)}
    assert set(variables) == {
        "df",
        "arr",
        "d",
        "s",
        "short",
        "n",
        "nums",
        "model",
        "big",
        "secret_holder",
        "user_fn",
        "Point",
    }
    assert variables["df"].type == "DataFrame"
    assert variables["df"].summary == "DataFrame 1,000 × 3"  # noqa: RUF001
    assert variables["arr"].summary == "ndarray float64 (512, 512)"
    assert variables["d"].summary == "dict 12 keys"
    assert variables["s"].summary == "str 3.2 kB"
    assert variables["short"].summary == "str 'hello'"
    assert variables["n"].summary == "int 42"
    assert variables["model"].summary == "LogisticRegression (fitted)"
    assert variables["user_fn"].summary == "function user_fn(x, y=1)"
    assert CONFIGURED_SECRET not in variables["secret_holder"].summary


async def test_inspection_is_silent_and_leaves_no_trace(env: KernelEnv) -> None:
    # globals minus IPython's own history names (_i, _i3, _3, _, __, ___).
    probe = (
        "len(In), sorted(k for k in globals() "
        "if not (k.startswith('_i') or k.strip('_').isdigit() or not k.strip('_')))"
    )
    before = await env.run(probe)
    bridge, kid = env.bridge, env.kernel_id
    await bridge.list_variables(kid)
    await bridge.inspect_variable(kid, "df")
    await bridge.inspect_variable(kid, "missing")
    await bridge.describe_api(kid, "json.dumps")
    await bridge.execute(kid, "pass", track_namespace=True)
    after = await env.run(probe)
    # Only the two probes and the tracked "pass" count as executions / history entries.
    assert after.execution_count == before.execution_count + 2
    in_before, names_before = eval(before.outputs[0]["data"]["text/plain"])
    in_after, names_after = eval(after.outputs[0]["data"]["text/plain"])
    assert in_after == in_before + 2
    assert names_after == names_before


async def test_inspect_dataframe(env: KernelEnv) -> None:
    tool = await env.bridge.inspect_variable(env.kernel_id, "df")
    assert tool.ok
    text = tool.text
    assert "1,000 rows × 3 columns" in text  # noqa: RUF001
    assert "'a'  float64  nulls 0" in text and "'c'  float64  nulls 1,000" in text
    assert "'b'  object" in text or "'b'  str" in text
    assert "min 0  max 999  mean 499.5" in text
    assert "top values" in text and "head:" in text

    big = await env.bridge.inspect_variable(env.kernel_id, "big")
    assert big.ok and "300,000 rows" in big.text and "on a sample of 100,000 rows" in big.text


async def test_inspect_other_kinds(env: KernelEnv) -> None:
    bridge, kid = env.bridge, env.kernel_id
    arr = await bridge.inspect_variable(kid, "arr")
    assert "shape (512, 512), dtype float64, 2.1 MB" in arr.text and "NaN: 0" in arr.text
    d = await bridge.inspect_variable(kid, "d")
    assert "'k0': int 0" in d.text
    nums = await bridge.inspect_variable(kid, "nums")
    assert "element types (first 3): int 1, float 1, str 1" in nums.text
    s = await bridge.inspect_variable(kid, "s")
    assert "3,200 characters" in s.text and len(s.text) <= bridge.output_limit_chars
    model = await bridge.inspect_variable(kid, "model")
    assert "sklearn.linear_model" in model.text and "C = 0.5" in model.text
    assert "coef_: ndarray float64 (1, 1)" in model.text
    attr = await bridge.inspect_variable(kid, "model.coef_")
    assert attr.ok and "shape (1, 1)" in attr.text
    point = await bridge.inspect_variable(kid, "Point")
    assert point.ok and "class __main__.Point" in point.text
    secret = await bridge.inspect_variable(kid, "secret_holder")
    assert CONFIGURED_SECRET not in secret.text and "[redacted]" in secret.text


async def test_inspect_size_is_capped(kernel_env: KernelEnv) -> None:
    await kernel_env.run("huge = {i: 'v' * 500 for i in range(5000)}\nwide = 'y' * 10**6")
    for name in ("huge", "wide"):
        tool = await kernel_env.bridge.inspect_variable(kernel_env.kernel_id, name)
        assert tool.ok and len(tool.text) <= kernel_env.bridge.output_limit_chars


async def test_inspect_missing_name_is_a_message_not_an_exception(env: KernelEnv) -> None:
    tool = await env.bridge.inspect_variable(env.kernel_id, "dff")
    assert not tool.ok
    assert "No variable named 'dff'" in tool.text and "Did you mean: df" in tool.text
    empty = await env.bridge.inspect_variable(env.kernel_id, " ")
    assert not empty.ok
    bad_attr = await env.bridge.inspect_variable(env.kernel_id, "df.nope")
    assert not bad_attr.ok and "AttributeError" in bad_attr.text


async def test_describe_api_stdlib_and_local_module(kernel_env: KernelEnv) -> None:
    (kernel_env.root / "inhouse_lib.py").write_text(
        textwrap.dedent(
            '''
            """Tools of our team that no model was trained on."""

            def normalize(values, *, scale=1.0):
                """Scale values to unit range.

                More details nobody reads.
                """
                return values

            class Scaler:
                """Fits a scale and applies it."""

                def fit(self, data, robust=False):
                    """Learn the scale from data."""
                    return self

                @property
                def ready(self):
                    """Whether fit was called."""
                    return True
            '''
        )
    )
    bridge, kid = kernel_env.bridge, kernel_env.kernel_id
    dumps = await bridge.describe_api(kid, "json.dumps")
    assert dumps.ok and dumps.text.startswith("function json.dumps(obj, *, skipkeys=False")
    assert "Serialize ``obj``" in dumps.text

    module = await bridge.describe_api(kid, "inhouse_lib")
    assert module.ok and "module inhouse_lib" in module.text
    assert "Tools of our team" in module.text
    assert "normalize(values, *, scale=1.0) — Scale values to unit range." in module.text
    assert "class Scaler() — Fits a scale and applies it." in module.text

    cls = await bridge.describe_api(kid, "inhouse_lib.Scaler")
    assert "fit(self, data, robust=False) — Learn the scale from data." in cls.text
    assert "ready (property) — Whether fit was called." in cls.text

    missing = await bridge.describe_api(kid, "no_such_lib.thing")
    assert not missing.ok and "ModuleNotFoundError" in missing.text
    # describe_api read inhouse_lib from its source: nothing imported, nothing bound.
    names = [v.name for v in await bridge.list_variables(kid)]
    assert "inhouse_lib" not in names
    assert "described from its source without importing it" in module.text


async def test_namespace_diff(env: KernelEnv) -> None:
    bridge, kid = env.bridge, env.kernel_id
    await env.run("keep = 1\nto_drop = 2\ngrow = [1]\nframe = pd.DataFrame({'x': [1]})")
    result, diff = await bridge.execute(
        kid,
        "fresh = 3\ndel to_drop\ngrow.append(2)\nframe['y'] = 2\nimport itertools",
        track_namespace=True,
    )
    assert result.status == "ok" and diff is not None
    assert diff.created == ("fresh",)
    assert diff.changed == ("frame", "grow")
    assert diff.deleted == ("to_drop",)

    _result, unchanged = await bridge.execute(kid, "keep + 1", track_namespace=True)
    assert unchanged is not None and unchanged.empty
    _result, untracked = await bridge.execute(kid, "keep")
    assert untracked is None
