"""Reading report filters from query arguments: bad values become messages, never errors."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from app.models.base import parse_id
from app.paging import page_from



@dataclass
class ArgReader:
    """Reads typed values out of a mapping of strings, noting what it had to ignore."""

    args: Mapping[str, str]
    errors: list[str] = field(default_factory=list)

    def text(self, name: str) -> str:
        return (self.args.get(name) or "").strip()[:200]

    def day(self, name: str, label: str) -> date | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            self.errors.append(f"{label}: “{raw[:20]}” is not a date (use YYYY-MM-DD).")
            return None
        if not 1900 <= value.year <= 2999:
            self.errors.append(f"{label}: {value.year} is out of range.")
            return None
        return value

    def ident(self, name: str, label: str) -> int | None:
        raw = self.text(name)
        if not raw:
            return None
        ident = parse_id(raw)
        if ident is not None:
            return ident
        self.errors.append(f"{label}: “{raw[:20]}” is not a valid choice.")
        return None

    def choice(self, name: str, label: str, choices, default: str | None = None) -> str | None:
        raw = self.text(name)
        if not raw:
            return default
        if raw in choices:
            return raw
        self.errors.append(f"{label}: “{raw[:20]}” is not a valid choice.")
        return default

    def page(self) -> int:
        return page_from(self.text("page"))

    def date_range(self) -> tuple[date | None, date | None]:
        first, last = self.day("from", "From"), self.day("to", "To")
        if first and last and first > last:
            self.errors.append("The “From” date is after the “To” date; they were swapped.")
            first, last = last, first
        return first, last
