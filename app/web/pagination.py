"""Pagination that reads `?page=` from the request (the rules are `app.paging`'s)."""
from __future__ import annotations

from flask import request

from app import paging
from app.paging import Page


def page_number() -> int:
    return paging.page_from(request.args.get("page"))


def paginate(query, per_page: int = 25, *, scalars: bool = True, count_query=None) -> Page:
    """Run `query` for the page the request asks for."""
    return paging.paginate(query, page_number(), per_page, scalars=scalars,
                           count_query=count_query)
