"""Session memory: the prompt tiers, the running summary, the data-object registry and
the token budget. Agents use ``session_memory.memory_for(ctx)``; see ``assembler`` for
the tiers and ``budget`` for what is cut first."""
