"""Data-loss findings (issue 17, part 3) and the session facts that feed them."""

from __future__ import annotations

import pytest

from jupyter_codeagent.safety import CellIO, SessionFacts, analyze_code, cell_io

ROOT = "/home/ds/project"
SESSION = SessionFacts.of(
    files_read=["data/sales.csv", "/home/ds/project/data/users.parquet"],
    files_written=["helper.py"],
    user_objects=["df", "users", "model"],
)


def found(code: str, session: SessionFacts | None = SESSION, **kwargs: str) -> dict[str, str]:
    """finding code → severity (data-loss codes only)."""
    report = analyze_code(code, root_dir=ROOT, session=session, **kwargs)
    return {f.code: f.severity for f in report.findings if f.code in _DATA_LOSS}


_DATA_LOSS = {
    "overwrites_input",
    "inplace_user_data",
    "rows_dropped_silently",
    "imports_written_code",
}


@pytest.mark.parametrize(
    ("code", "kwargs"),
    [
        ("sales = pd.read_csv('data/sales.csv')\nsales.to_csv('data/sales.csv')", {}),
        ("df.to_csv('./data/sales.csv', index=False)", {}),
        ("df.to_csv('sales.csv')", {"cwd": "data"}),
        ("df.to_csv('/home/ds/project/data/sales.csv')", {}),
        ("users.to_parquet('data/users.parquet')", {}),
        ("with open('data/sales.csv', 'w') as f:\n    f.write(text)", {}),
        ("import shutil\nshutil.copy('backup.csv', 'data/sales.csv')", {}),
    ],
)
def test_writing_over_a_file_the_session_read(code: str, kwargs: dict[str, str]) -> None:
    assert found(code, **kwargs) == {"overwrites_input": "warning"}


@pytest.mark.parametrize(
    "code",
    [
        "df = df.drop(columns=['tmp'])",  # rebinding: the user's object is left as it was
        "df.to_csv('data/sales_clean.csv')",
        "sales = pd.read_csv('data/sales.csv')",
        "agent_frame.drop(columns=['a'], inplace=True)",  # not the user's object
        "print(len(df))\ndf.head()",
    ],
)
def test_no_data_loss_finding(code: str) -> None:
    assert found(code) == {}


@pytest.mark.parametrize(
    "code",
    [
        "df.drop(columns=['tmp'], inplace=True)",
        "df['total'] = df['price'] * df['qty']",
        "df.loc[df.price < 0, 'price'] = 0",
        "del df['tmp']",
        "col = df.pop('tmp')",
        "users.update(other)",
        "df.columns = ['a', 'b']",
        "df.sort_values('a', inplace=True)",
        "import numpy as np\nnp.random.shuffle(users)",
        "df += 1",
    ],
)
def test_changing_the_users_data_in_place(code: str) -> None:
    assert found(code).get("inplace_user_data") == "warning"


def test_edits_after_the_cell_rebinds_the_name_are_not_the_users() -> None:
    assert found("df = df.copy()\ndf['x'] = 1") == {}


def test_without_session_facts_no_user_object_is_known() -> None:
    assert found("df.drop(columns=['tmp'], inplace=True)", session=None) == {}
    assert found("df.to_csv('data/sales.csv')", session=None) == {}


@pytest.mark.parametrize(
    ("code", "dropped"),
    [
        ("df = df.dropna()", True),
        ("df = df.dropna(subset=['amount']).reset_index(drop=True)", True),
        ("df = df.drop_duplicates()", True),
        ("df = df[df['amount'] > 0]", True),
        ("df = df.loc[df.region.isin(regions)]", True),
        ("df = df[~df.id.duplicated()]", True),
        ("df = df.query('amount > 0')", True),
        ("orders.dropna(inplace=True)", True),
        ("df = df.dropna(axis=1)", False),  # columns, not rows
        ("df = df[['a', 'b']]", False),  # a column selection
        ("clean = df.dropna()", False),  # a new name: df itself keeps its rows
        ("before = len(df)\ndf = df.dropna()\nprint(before - len(df))", False),
        ("df = df[df.amount > 0]\nprint(df.shape)", False),
    ],
)
def test_rows_dropped_without_a_count(code: str, dropped: bool) -> None:
    # Needs no session: it is about the cell alone.
    assert ("rows_dropped_silently" in found(code, session=None)) is dropped


def test_importing_a_module_the_session_wrote() -> None:
    assert found("import helper\nhelper.main()") == {"imports_written_code": "warning"}
    assert found("from helper import main") == {"imports_written_code": "warning"}
    assert found("import numpy") == {}


def test_findings_are_warnings_never_blocks() -> None:
    code = "df.dropna(inplace=True)\ndf.to_csv('data/sales.csv')\nimport helper"
    report = analyze_code(code, root_dir=ROOT, session=SESSION)
    assert report.risk == "medium" and not report.blocking


def test_cell_io_reads_writes_and_binds() -> None:
    code = (
        "import pandas as pd\n"
        "from pathlib import Path\n"
        "sales = pd.read_csv('data/sales.csv')\n"
        "cfg = Path('config.json').read_text()\n"
        "with open('notes.txt') as f:\n    notes = f.read()\n"
        "def helper(x):\n    inner = x\n    return inner\n"
        "sales.to_parquet('out/sales.parquet')\n"
        "open('log.txt', 'a').write('done')\n"
        "[y for y in range(3)]\n"
    )
    io = cell_io(code, root_dir=ROOT, cwd="notebooks")
    assert io.reads == {"notebooks/data/sales.csv", "notebooks/config.json", "notebooks/notes.txt"}
    assert io.writes == {"notebooks/out/sales.parquet", "notebooks/log.txt"}
    assert io.binds == {"pd", "Path", "sales", "cfg", "f", "notes", "helper"}


def test_cell_io_of_a_cell_that_does_not_parse() -> None:
    assert cell_io("def (:", root_dir=ROOT) == CellIO()


def test_cell_io_paths_match_session_facts() -> None:
    io = cell_io("df = pd.read_csv('sales.csv')", root_dir=ROOT, cwd="/home/ds/project/data")
    session = SessionFacts.of(files_read=io.reads, user_objects=["df"])
    report = analyze_code("df.to_csv('data/sales.csv')", root_dir=ROOT, session=session)
    assert [f.code for f in report.findings] == ["overwrites_input"]


def test_cell_io_of_writefile() -> None:
    io = cell_io("%%writefile helper.py\ndef main():\n    pass\n", root_dir=ROOT, cwd="nb")
    assert io.writes == {"nb/helper.py"} and io.reads == frozenset()
