"""Country names as people write them in a spreadsheet → ISO 3166 two-letter codes.

`pycountry` knows the codes and the English names; its translations give the names in
the languages of the offices we serve ("Deutschland", "Royaume-Uni", "Países Bajos"). A
few everyday names that are in no standard ("UK", "England", "Holland") are listed here.
"""
from __future__ import annotations

import gettext
import re
import unicodedata
from functools import lru_cache

import pycountry

# Languages whose country names an import understands (pycountry's iso3166-1 catalogues).
LANGUAGES = ("de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "nb", "fi", "cs", "sk",
             "hu", "ro", "el", "hr", "sl", "et", "lv", "lt", "bg", "ga", "tr")
_EVERYDAY = {
    "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "northern ireland": "GB", "gb": "GB",
    "usa": "US", "u s a": "US", "u s": "US", "america": "US",
    "united states of america": "US", "holland": "NL", "eire": "IE", "turkey": "TR",
    "russia": "RU", "south korea": "KR", "korea": "KR", "czech republic": "CZ",
    "vietnam": "VN", "ivory coast": "CI", "macedonia": "MK", "swaziland": "SZ",
    "cape verde": "CV", "the netherlands": "NL", "uae": "AE",
}


def _key(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    plain = plain.replace("&", " and ")
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    catalogues = [gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang],
                                      fallback=True) for lang in LANGUAGES]
    for country in pycountry.countries:
        names = {country.name, getattr(country, "official_name", ""),
                 getattr(country, "common_name", "")} - {""}
        for name in list(names):
            names.update(c.gettext(name) for c in catalogues)
        for name in names:
            index.setdefault(_key(name), country.alpha_2)
        index[_key(country.alpha_3)] = country.alpha_2
    for name, code in _EVERYDAY.items():
        index[_key(name)] = code
    for country in pycountry.countries:  # a code always means itself ("DE", not a name)
        index[_key(country.alpha_2)] = country.alpha_2
    return index


@lru_cache(maxsize=4096)  # a file repeats a few countries thousands of times
def country_code(text: str) -> str | None:
    """Deutschland, United Kingdom, uk, DEU or de → "DE" or "GB"; None if unknown."""
    return _index().get(_key(text or ""))
