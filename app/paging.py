"""Pages of a query's rows: a page number from any text, and never a failure on it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.extensions import db


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)


def page_from(text: str | None) -> int:
    """A page number from text; 1 for anything that isn't one."""
    try:
        return max(1, min(int(text or 1), 100_000))
    except ValueError:
        return 1


def paginate(query, number: int, per_page: int = 25, *, scalars: bool = True,
             count_query=None) -> Page:
    """Run `query` for page `number` (the last page if past it); counts with
    `count_query` if given."""
    if count_query is None:
        count_query = db.select(db.func.count()).select_from(
            query.order_by(None).subquery())
    total = db.session.scalar(count_query) or 0
    pages = max(1, -(-total // per_page))
    number = min(number, pages)
    limited = query.limit(per_page).offset((number - 1) * per_page)
    result = db.session.execute(limited)
    items = list(result.scalars() if scalars else result)
    return Page(items=items, page=number, per_page=per_page, total=total)
