"""Fonts for invoice PDFs: DejaVu Sans cut down to the European scripts, the full font
when a document needs more.

fpdf2 parses and subsets an embedded TrueType font for every document, in a time that grows
with the font's glyph count: the full DejaVu Sans (≈ 6,000 glyphs, regular and bold) costs
≈ 75–85 ms a PDF, the European cut (≈ 1,800 glyphs) ≈ 35 ms. The cut ships beside the full
fonts in app/invoices/fonts; `make_european_fonts` made it and a test checks it still matches.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

FONTS = Path(__file__).parent / "fonts"
STYLES = ("", "B")  # regular and bold, as fpdf2 names them
FULL = {"": FONTS / "DejaVuSans.ttf", "B": FONTS / "DejaVuSans-Bold.ttf"}
EUROPEAN = {"": FONTS / "DejaVuSans-Europe.ttf", "B": FONTS / "DejaVuSans-Bold-Europe.ttf"}

# Latin (with Vietnamese), Greek, Cyrillic, modifier letters (ʼ in Ukrainian names),
# combining accents (names typed on a Mac arrive decomposed), and the punctuation,
# currency and symbols an invoice uses (№, ™, −, fractions, ligatures).
EUROPEAN_RANGES = (
    (0x0020, 0x024F), (0x02B0, 0x02FF), (0x0300, 0x036F), (0x0370, 0x03FF),
    (0x0400, 0x052F), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x2070, 0x209F),
    (0x20A0, 0x20CF), (0x2100, 0x218F), (0x2212, 0x2212), (0xFB00, 0xFB06),
    (0xFFFD, 0xFFFD),
)


def fonts_for(texts: Iterable[str]) -> dict[str, Path]:
    """The font files to embed for a document printing these texts."""
    covered = european_coverage()
    for text in texts:
        if any(ord(c) >= 0x20 and ord(c) not in covered for c in text or ""):
            return FULL
    return EUROPEAN


@cache
def european_coverage() -> frozenset[int]:
    """Code points both European fonts draw."""
    from fontTools.ttLib import TTFont

    maps = []
    for path in EUROPEAN.values():
        with TTFont(path, lazy=True) as font:
            maps.append(set(font.getBestCmap()))
    return frozenset(set.intersection(*maps))


def make_european_fonts(out: dict[str, Path] = EUROPEAN) -> None:
    """Cut the full fonts down to EUROPEAN_RANGES (how the shipped files were made)."""
    from fontTools import subset

    unicodes = [c for low, high in EUROPEAN_RANGES for c in range(low, high + 1)]
    for style in STYLES:
        options = subset.Options(notdef_outline=True, recommended_glyphs=True,
                                 name_IDs=["*"], name_languages=["*"], glyph_names=True)
        options.drop_tables += ["FFTM"]
        with subset.load_font(str(FULL[style]), options) as font:
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=unicodes)
            subsetter.subset(font)
            subset.save_font(font, str(out[style]), options)
