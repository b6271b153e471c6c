"""What a write did: the counts every import and upsert reports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class WriteCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: WriteCounts) -> None:
        """Accumulate ``other`` into these counts."""
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
