"""Dynamic context look-up: Markdown knowledge folders split into topics and indexed in
SQLite FTS5 (``knowledge.KnowledgeIndex``), searched by the ``lookup_context`` tool."""
