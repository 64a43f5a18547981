"""The knowledge index: Markdown split into topics, FTS5 + bm25, kept current by mtime."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_codeagent.knowledge.index import KnowledgeIndex
from jupyter_codeagent.knowledge.markdown import slugify, split_topics
from jupyter_codeagent.knowledge.query import fts_query, query_terms

GLOSSARY = """---
owner: analytics
---
How we talk about the business.

# Glossary

## Pipeline
"Pipeline" means the **sales pipeline**: open opportunities weighted by stage.

## Churn
Customers lost in a month divided by customers at the start of the month.

```python
# Not a heading: a comment in code
churn = lost / start
```

### Churn exclusions
Trial accounts never count as churned.
"""

METRICS = """# Revenue metrics

## ARR
Annual recurring revenue: MRR times 12, in EUR.

## Forecasting
We forecast revenue from the pipeline, by region, every Monday.
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    knowledge = tmp_path / ".codeagent" / "knowledge"
    knowledge.mkdir(parents=True)
    (knowledge / "glossary.md").write_text(GLOSSARY)
    (knowledge / "metrics.md").write_text(METRICS)
    return knowledge


@pytest.fixture
def index(folder: Path, tmp_path: Path) -> KnowledgeIndex:
    index = KnowledgeIndex([str(folder)], root_dir=str(tmp_path))
    yield index
    index.close()


def _touch_later(path: Path, text: str) -> None:
    """Rewrite ``path`` with a visibly newer mtime (coarse file-system clocks)."""
    stat = path.stat()
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_split_by_heading_with_trails_fences_and_front_matter() -> None:
    topics = split_topics(GLOSSARY, file_title="Glossary file")
    assert [t.heading for t in topics] == [
        "Glossary file",
        "Glossary › Pipeline",  # noqa: RUF001
        "Glossary › Churn",  # noqa: RUF001
        "Glossary › Churn › Churn exclusions",  # noqa: RUF001
    ]
    assert topics[0].body == "How we talk about the business."
    assert "owner: analytics" not in "".join(t.body for t in topics)
    assert "# Not a heading: a comment in code" in topics[2].body
    assert topics[3].title == "Churn exclusions"
    assert split_topics("", file_title="x") == []
    assert slugify("Sales pipeline (EU)") == "sales-pipeline-eu"


def test_catalog_lists_topic_titles_per_file(index: KnowledgeIndex) -> None:
    catalog = index.catalog()
    assert catalog.splitlines()[0].startswith("6 topics in 2 files")
    assert "- .codeagent/knowledge/glossary.md: Glossary; Pipeline; Churn; Churn exclusions" in (
        catalog
    )
    assert "- .codeagent/knowledge/metrics.md: ARR; Forecasting" in catalog
    assert "open opportunities" not in catalog  # titles only, never bodies


def test_lookup_returns_best_topics_with_source_and_heading(index: KnowledgeIndex) -> None:
    answer = index.lookup("What does pipeline mean?")
    first = answer.split("\n\n## ")[0]
    assert first.startswith("## Glossary › Pipeline  (source: .codeagent/knowledge/glossary.md)")  # noqa: RUF001
    assert "open opportunities weighted by stage" in first
    # The forecasting topic mentions the pipeline in its text only: it ranks below.
    assert answer.index("Pipeline  (source") < answer.index("Forecasting")


def test_ranking_prefers_titles_then_more_and_rarer_terms(index: KnowledgeIndex) -> None:
    hits = index.search("churn")
    assert [h.title for h in hits][:2] == ["Churn", "Churn exclusions"]
    hits = index.search("revenue forecast region")
    assert hits[0].title == "Forecasting"  # three terms (with the stem) beat one
    assert index.search("trial accounts")[0].title == "Churn exclusions"


def test_index_follows_file_changes_without_restart(folder: Path, index: KnowledgeIndex) -> None:
    assert "Nothing" not in index.lookup("cohort")
    _touch_later(
        folder / "metrics.md", METRICS + "\n## Cohort\nCustomers grouped by signup month.\n"
    )
    assert "Customers grouped by signup month" in index.lookup("cohort")
    assert "Cohort" in index.catalog()
    # A new file, then a removed one.
    (folder / "sub").mkdir()
    (folder / "sub" / "teams.md").write_text("# Teams\n## Squad Nova\nOwns the churn model.\n")
    assert "Owns the churn model" in index.lookup("nova")
    (folder / "glossary.md").unlink()
    assert "Pipeline  (source" not in index.lookup("pipeline")
    assert "glossary.md" not in index.catalog()
    # A changed topic replaces the old text (no duplicates left behind).
    _touch_later(folder / "metrics.md", "# Revenue metrics\n## ARR\nNow in USD.\n")
    answer = index.lookup("ARR")
    assert "Now in USD." in answer and "in EUR" not in answer
    assert index.topic_count() == 2


def test_hidden_folders_and_other_files_are_ignored(folder: Path, index: KnowledgeIndex) -> None:
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "glossary-checkpoint.md").write_text("# Secret\nzebra\n")
    (folder / "notes.txt").write_text("zebra")
    assert index.search("zebra") == []


def test_empty_and_absent_folders_work(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    index = KnowledgeIndex(
        [str(tmp_path / "empty"), str(tmp_path / "absent")], root_dir=str(tmp_path)
    )
    assert index.catalog() == ""
    assert index.lookup("pipeline").startswith("The knowledge base is empty: add Markdown files to")
    assert index.find_topic("pipeline") is None
    assert KnowledgeIndex([]).lookup("x").startswith("The knowledge base is empty")


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced quote',
        "AND OR NOT",
        "NEAR(pipeline churn, 2)",
        "title:churn",
        "churn*",
        "^pipeline",
        "-churn + pipeline",
        "(pipeline",
        "pipe)line{}[]",
        "SELECT * FROM topics; --",
        "数据 pipeline 🚀",
        "",
        "   ",
        "!!!",
    ],
)
def test_queries_with_fts5_syntax_never_crash(index: KnowledgeIndex, query: str) -> None:
    answer = index.lookup(query)
    assert isinstance(answer, str) and answer


def test_query_sanitizer_quotes_every_term() -> None:
    assert fts_query('NEAR("churn" OR x*') == '"near"* OR "churn"* OR "x"'
    assert fts_query("the of and") == '"the" OR "of" OR "and"'  # only stop words: keep them
    assert fts_query("?!") is None
    assert query_terms("What is the churn rate?") == ["churn", "rate"]


def test_no_match_lists_the_catalog(index: KnowledgeIndex) -> None:
    answer = index.lookup("zeppelin")
    assert answer.startswith("No knowledge topic matches 'zeppelin'")
    assert "Pipeline" in answer


def test_lookup_respects_its_size_cap(folder: Path, tmp_path: Path) -> None:
    (folder / "big.md").write_text(
        "".join(f"## Pipeline part {i}\n" + "pipeline stage value " * 800 + "\n" for i in range(5))
    )
    index = KnowledgeIndex([str(folder)], root_dir=str(tmp_path), result_chars=6_000)
    answer = index.lookup("pipeline")
    assert len(answer) <= 6_000 + 200
    assert "more characters]" in answer


def test_catalog_is_short_for_a_large_knowledge_base(folder: Path, tmp_path: Path) -> None:
    for f in range(50):
        (folder / f"area{f:02d}.md").write_text(
            "".join(f"## Topic {f}-{t}\ntext {t}\n" for t in range(40))
        )
    index = KnowledgeIndex([str(folder)], root_dir=str(tmp_path), catalog_chars=1_500)
    catalog = index.catalog()
    assert len(catalog) <= 1_500 + 100
    assert catalog.startswith("2,006 topics in 52 files")
    assert "more files" in catalog
    assert catalog.count("\n- ") >= 10  # many files named, a few titles each


def test_find_topic_by_title_or_file_name(index: KnowledgeIndex) -> None:
    hit = index.find_topic("pipeline")
    assert hit is not None and hit.title == "Pipeline" and "sales pipeline" in hit.body
    assert index.find_topic("Churn exclusions") is not None
    assert index.find_topic("churn-exclusions") is not None
    whole = index.find_topic("metrics")
    assert whole is not None and "MRR times 12" in whole.body and "every Monday" in whole.body
    assert index.find_topic("nothing-like-this") is None


def test_a_database_file_survives_restarts_and_reindexes_only_changes(
    folder: Path, tmp_path: Path
) -> None:
    db = str(tmp_path / "knowledge.db")
    first = KnowledgeIndex([str(folder)], root_dir=str(tmp_path), db_path=db)
    assert first.refresh() is True
    first.close()
    again = KnowledgeIndex([str(folder)], root_dir=str(tmp_path), db_path=db)
    assert again.refresh() is False  # nothing changed on disk: nothing re-indexed
    assert "open opportunities" in again.lookup("pipeline")
    again.close()


def test_the_check_interval_throttles_the_mtime_walk(folder: Path, tmp_path: Path) -> None:
    index = KnowledgeIndex([str(folder)], root_dir=str(tmp_path), check_interval=3_600)
    index.lookup("pipeline")
    (folder / "late.md").write_text("# Late\n## Zebra\nstripes\n")
    assert index.search("zebra") == []  # not checked again within the interval
    assert index.refresh(force=True) is True
    assert index.search("zebra")[0].title == "Zebra"
