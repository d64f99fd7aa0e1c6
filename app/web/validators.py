"""Form validators shared by the blueprints."""
from __future__ import annotations

from wtforms.validators import ValidationError


class TextLimit:
    """`Length(max=…)` for long texts, without the `maxlength` attribute: a browser cuts
    pasted text at `maxlength` without a word. Here the whole text arrives, stays in the
    form, and the person is told how long it is and what fits."""

    def __init__(self, limit: int, what: str = "This text"):
        self.limit, self.what = limit, what

    def __call__(self, form, field) -> None:
        length = len(field.data or "")
        if length > self.limit:
            raise ValidationError(
                f"{self.what} is {length:,} characters long; at most {self.limit:,} fit. "
                "Nothing was cut: shorten it, or split it in two.")
