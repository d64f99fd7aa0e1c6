"""Customer data that cannot be right, refused with the reason instead of being stored."""
from __future__ import annotations

from datetime import date

from app.settings import formatting


def born_or_founded_problem(day: date | None, today: date) -> str | None:
    """Why `day` cannot be a birth or founding date, or None."""
    if day is not None and day > today:
        return (f"{formatting.day(day)} is in the future; a birth or founding date can't be. "
                "Check the year.")
    return None

