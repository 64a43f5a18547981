"""Dynamic context look-up: Markdown knowledge folders split into topics and indexed in
SQLite FTS5 (``KnowledgeIndex``), searched by the ``lookup_context`` tool."""

from .index import KnowledgeIndex, TopicHit

__all__ = ["KnowledgeIndex", "TopicHit"]
