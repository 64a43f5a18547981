"""The knowledge index: Markdown topics from the knowledge folders in SQLite FTS5.

The files are the source of truth and the index is derived from them, so by
default it lives in memory (``db_path=":memory:"``): it is rebuilt from the files
on the first look-up after a server start (about a second for 10,000 topics) and
can never be stale or corrupt on disk. A file path may be given instead; the
``files`` table then makes a restart re-index only what changed.

Before every look-up (or at most every ``check_interval`` seconds, if set) the
folders are walked and each Markdown file's (mtime, size) compared with the index:
changed and new files are re-split, removed ones dropped, so edits show up without
a restart. The walk is cheap (200 files: about a millisecond; see
``benchmarks/memory_growth.py``), so by default it runs every time.

All methods are synchronous and thread-safe (one lock around one connection);
async callers run them with ``asyncio.to_thread`` so a re-index never stalls the
server's event loop.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .markdown import slugify, split_topics, title_from_filename
from .query import fts_query

log = logging.getLogger(__name__)

MARKDOWN_SUFFIXES = (".md", ".markdown")
# Title hits matter most, then the heading trail (file and parent sections), then text.
_BM25 = "bm25(topics_fts, 8.0, 3.0, 1.0)"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, mtime_ns INTEGER, size INTEGER);
CREATE TABLE IF NOT EXISTS topics (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL, source TEXT NOT NULL,
    position INTEGER NOT NULL, title TEXT NOT NULL, heading TEXT NOT NULL,
    slug TEXT NOT NULL, file_slug TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS topics_path ON topics (path);
CREATE INDEX IF NOT EXISTS topics_slug ON topics (slug);
CREATE INDEX IF NOT EXISTS topics_file_slug ON topics (file_slug);
CREATE VIRTUAL TABLE IF NOT EXISTS topics_fts USING fts5(
    title, heading, body, tokenize = 'porter unicode61 remove_diacritics 2');
"""


@dataclass(frozen=True, kw_only=True)
class TopicHit:
    """A topic as a look-up returns it."""

    source: str
    heading: str
    title: str
    body: str

    def render(self, limit: int) -> str:
        body = self.body
        if len(body) > limit:
            body = body[:limit].rstrip() + f"\n[... {len(self.body) - limit:,} more characters]"
        return f"## {self.heading}  (source: {self.source})\n{body}"


class KnowledgeIndex:
    """Topics of the Markdown files under ``folders``, searchable with bm25."""

    def __init__(
        self,
        folders: Sequence[str],
        *,
        root_dir: str | None = None,
        db_path: str = ":memory:",
        check_interval: float = 0.0,
        max_results: int = 3,
        topic_chars: int = 3_000,
        result_chars: int = 6_000,
        catalog_chars: int = 1_500,
        max_file_bytes: int = 2_000_000,
    ) -> None:
        self.folders = tuple(os.path.abspath(f) for f in folders)
        self.root_dir = os.path.abspath(root_dir) if root_dir else None
        self.check_interval = check_interval
        self.max_results = max_results
        self.topic_chars = topic_chars
        self.result_chars = result_chars
        self.catalog_chars = catalog_chars
        self.max_file_bytes = max_file_bytes
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._conn.executescript(_SCHEMA)
        self._files: dict[str, tuple[int, int]] = {
            path: (mtime, size)
            for path, mtime, size in self._conn.execute("SELECT path, mtime_ns, size FROM files")
        }
        self._checked: float | None = None
        self._catalog: str | None = None

    # --- keeping the index current ---------------------------------------------------

    def refresh(self, *, force: bool = False) -> bool:
        """Re-index changed, new and removed files; True if anything changed."""
        with self._lock:
            now = time.monotonic()
            recent = self._checked is not None and now - self._checked < self.check_interval
            if recent and not force:
                return False
            self._checked = now
            seen = dict(self._scan())
            changed = [path for path, sig in seen.items() if self._files.get(path) != sig]
            removed = [path for path in self._files if path not in seen]
            if not changed and not removed:
                return False
            started = time.perf_counter()
            self._conn.execute("BEGIN")
            try:
                for path in removed:
                    self._forget(path)
                for path in changed:
                    self._forget(path)
                    self._index_file(path, seen[path])
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                self._files = {
                    p: (m, s)
                    for p, m, s in self._conn.execute("SELECT path, mtime_ns, size FROM files")
                }
                raise
            self._catalog = None
            log.info(
                "knowledge index: %d file(s) indexed, %d removed in %.0f ms",
                len(changed),
                len(removed),
                (time.perf_counter() - started) * 1000,
            )
            return True

    def _scan(self) -> Iterator[tuple[str, tuple[int, int]]]:
        for folder in self.folders:
            if not os.path.isdir(folder):
                continue  # an absent folder is simply an empty knowledge base
            for dirpath, dirnames, filenames in os.walk(folder):
                # Hidden folders hold checkpoints and VCS data, not knowledge.
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.startswith(".") or not name.lower().endswith(MARKDOWN_SUFFIXES):
                        continue
                    path = os.path.join(dirpath, name)
                    try:
                        stat = os.stat(path)
                    except OSError:
                        continue
                    yield path, (stat.st_mtime_ns, stat.st_size)

    def _forget(self, path: str) -> None:
        self._conn.execute(
            "DELETE FROM topics_fts WHERE rowid IN (SELECT id FROM topics WHERE path = ?)",
            (path,),
        )
        self._conn.execute("DELETE FROM topics WHERE path = ?", (path,))
        self._conn.execute("DELETE FROM files WHERE path = ?", (path,))
        self._files.pop(path, None)

    def _index_file(self, path: str, signature: tuple[int, int]) -> None:
        if signature[1] > self.max_file_bytes:
            log.warning("knowledge file %s is larger than %d bytes: skipped", path, signature[1])
            text = ""
        else:
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
            except OSError as error:  # vanished or unreadable: tried again next refresh
                log.warning("cannot read knowledge file %s: %s", path, error)
                return
        source = self._display_path(path)
        file_title = title_from_filename(os.path.basename(path))
        file_slug = slugify(file_title)
        for topic in split_topics(text, file_title=file_title):
            heading = topic.heading
            if topic.trail[0] != file_title:
                heading = f"{file_title} › {heading}"  # noqa: RUF001
            slug = slugify(topic.title)
            cursor = self._conn.execute(
                "INSERT INTO topics (path, source, position, title, heading, slug, file_slug) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (path, source, topic.position, topic.title, heading, slug, file_slug),
            )
            self._conn.execute(
                "INSERT INTO topics_fts (rowid, title, heading, body) VALUES (?, ?, ?, ?)",
                (cursor.lastrowid, topic.title, heading, topic.body),
            )
        self._conn.execute(
            "INSERT INTO files (path, mtime_ns, size) VALUES (?, ?, ?)", (path, *signature)
        )
        self._files[path] = signature

    def _display_path(self, path: str) -> str:
        if self.root_dir:
            relative = os.path.relpath(path, self.root_dir)
            if not relative.startswith(".."):
                return relative.replace(os.sep, "/")
        return path

    # --- queries ---------------------------------------------------------------------

    def search(self, query: str, limit: int | None = None) -> list[TopicHit]:
        """The best topics for ``query``, best first (empty if it has no words)."""
        match = fts_query(query)
        if match is None:
            return []
        self.refresh()
        with self._lock:
            # A topic titled exactly as the query ("churn" → "Churn") comes first.
            rows = self._conn.execute(
                "SELECT t.source, t.heading, t.title, f.body FROM topics_fts f "
                "JOIN topics t ON t.id = f.rowid WHERE topics_fts MATCH ? "
                f"ORDER BY t.slug != ?, {_BM25}, t.id LIMIT ?",
                (match, slugify(query), limit or self.max_results),
            ).fetchall()
        return [TopicHit(source=s, heading=h, title=t, body=b) for s, h, t, b in rows]

    def lookup(self, query: str) -> str:
        """The ``lookup_context`` tool: the best few topic bodies, within ``result_chars``."""
        if not isinstance(query, str) or fts_query(query) is None:
            return "Give a few words to search the knowledge base for (e.g. a term or metric)."
        hits = self.search(query)
        if not hits:
            if self.topic_count() == 0:
                return self._empty_message()
            return (
                f"No knowledge topic matches {query!r}. Try other words. Topics:\n" + self.catalog()
            )
        parts: list[str] = []
        remaining = self.result_chars
        for hit in hits:
            if remaining < 300:
                break
            text = hit.render(min(self.topic_chars, remaining))
            parts.append(text)
            remaining -= len(text)
        return "\n\n".join(parts)

    def find_topic(self, name: str) -> TopicHit | None:
        """The topic an ``@name`` pin means: by title, else a whole (capped) file by name."""
        slug = slugify(name)
        if not slug:
            return None
        self.refresh()
        with self._lock:
            row = self._conn.execute(
                "SELECT t.source, t.heading, t.title, f.body FROM topics t "
                "JOIN topics_fts f ON f.rowid = t.id WHERE t.slug = ? "
                "ORDER BY t.source, t.position LIMIT 1",
                (slug,),
            ).fetchone()
            if row is not None:
                return TopicHit(source=row[0], heading=row[1], title=row[2], body=row[3])
            rows = self._conn.execute(
                "SELECT t.source, t.heading, f.body FROM topics t "
                "JOIN topics_fts f ON f.rowid = t.id WHERE t.file_slug = ? "
                "ORDER BY t.source, t.position",
                (slug,),
            ).fetchall()
        if not rows:
            return None
        source = rows[0][0]
        body = "\n\n".join(f"### {h}\n{b}" for s, h, b in rows if s == source)
        return TopicHit(source=source, heading=name, title=name, body=body)

    def catalog(self) -> str:
        """A short list of topic titles per file, for the prompt (``""`` when empty)."""
        self.refresh()
        with self._lock:
            if self._catalog is None:
                rows = self._conn.execute(
                    "SELECT source, title FROM topics ORDER BY source, position"
                ).fetchall()
                self._catalog = _render_catalog(rows, self.catalog_chars)
            return self._catalog

    def topic_count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM topics").fetchone()[0])

    def _empty_message(self) -> str:
        where = ", ".join(self._display_path(f) for f in self.folders) or "(none configured)"
        return f"The knowledge base is empty: add Markdown files to {where}."

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _render_catalog(rows: list[tuple[str, str]], limit: int) -> str:
    """``- glossary.md: Pipeline; Churn; ARR`` lines, cut to ``limit`` characters."""
    if not rows:
        return ""
    by_source: dict[str, list[str]] = {}
    for source, title in rows:
        titles = by_source.setdefault(source, [])
        if title not in titles:
            titles.append(title)
    total = len(rows)
    lines = [f"{total:,} topics in {len(by_source):,} files; lookup_context searches them all."]
    used = len(lines[0])
    # Many files: each gets a shorter line, so the catalog names more of them.
    line_limit = max(100, limit // len(by_source))
    for index, (source, titles) in enumerate(by_source.items()):
        line = f"- {source}: " + "; ".join(titles)
        if len(line) > line_limit:
            shown = line[:line_limit].rsplit(";", 1)[0]
            line = f"{shown}; … ({len(titles)} topics)"
        if used + len(line) + 1 > limit:
            lines.append(f"- … and {len(by_source) - index:,} more files")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)
