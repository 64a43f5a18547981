"""The persisted memory of a session: running summary, data objects, token calibration.

Stored as one JSON blob with ``SessionStore.save_memory`` after every change, and
read back at the start of each run, so a server restart loses nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from .registry import DataObjectRegistry
from .tokens import TokenCalibration

log = logging.getLogger(__name__)

MEMORY_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class MemoryState:
    """``summary`` condenses every turn with index < ``summarized_through``."""

    summary: str = ""
    summarized_through: int = 0
    registry: DataObjectRegistry = field(default_factory=DataObjectRegistry)
    calibration: TokenCalibration = field(default_factory=TokenCalibration)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": MEMORY_VERSION,
            "summary": self.summary,
            "summarized_through": self.summarized_through,
            "objects": self.registry.to_json(),
            "token_ratios": self.calibration.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MemoryState:
        """Tolerant: a blob from another version, or damaged, gives a fresh memory."""
        if not data:
            return cls()
        if data.get("version") != MEMORY_VERSION:
            log.warning("memory blob of version %r ignored", data.get("version"))
            return cls()
        through = data.get("summarized_through")
        summary = data.get("summary")
        return cls(
            summary=summary if isinstance(summary, str) else "",
            summarized_through=through if isinstance(through, int) and through >= 0 else 0,
            registry=DataObjectRegistry.from_json(data.get("objects")),
            calibration=TokenCalibration.from_json(data.get("token_ratios")),
        )
