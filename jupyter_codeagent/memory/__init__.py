"""Session memory: the prompt tiers, the running summary, the data-object registry and
the token budget. A run prepares ``SessionMemory`` from ``MemorySources``; see
``assembler`` for the tiers and ``budget`` for what is cut first."""

from .assembler import AssembledPrompt, CurrentStep
from .session_memory import MemorySources, SessionMemory

__all__ = ["AssembledPrompt", "CurrentStep", "MemorySources", "SessionMemory"]
