"""The language a customer is written to in: an ISO 639-1 code from one list.

Before the list, the field was free text ("German", "de-AT", "Deutsch"); migration 0007
turned what it recognised into codes and kept the rest as typed. Such a value stays
visible and choosable ("… (not in the list)") until someone picks a language from the list.
"""
from __future__ import annotations

# code, English name, the language's own name
LANGUAGES: tuple[tuple[str, str, str], ...] = (
    ("ar", "Arabic", "العربية"), ("bg", "Bulgarian", "български"), ("bs", "Bosnian", "bosanski"),
    ("ca", "Catalan", "català"), ("cs", "Czech", "čeština"), ("cy", "Welsh", "Cymraeg"),
    ("da", "Danish", "dansk"), ("de", "German", "Deutsch"), ("el", "Greek", "Ελληνικά"),
    ("en", "English", "English"), ("es", "Spanish", "español"), ("et", "Estonian", "eesti"),
    ("eu", "Basque", "euskara"), ("fa", "Persian", "فارسی"), ("fi", "Finnish", "suomi"),
    ("fr", "French", "français"), ("ga", "Irish", "Gaeilge"), ("gl", "Galician", "galego"),
    ("he", "Hebrew", "עברית"), ("hi", "Hindi", "हिन्दी"), ("hr", "Croatian", "hrvatski"),
    ("hu", "Hungarian", "magyar"), ("is", "Icelandic", "íslenska"), ("it", "Italian", "italiano"),
    ("ja", "Japanese", "日本語"), ("ko", "Korean", "한국어"), ("lb", "Luxembourgish", "Lëtzebuergesch"),
    ("lt", "Lithuanian", "lietuvių"), ("lv", "Latvian", "latviešu"),
    ("mk", "Macedonian", "македонски"), ("mt", "Maltese", "Malti"), ("nl", "Dutch", "Nederlands"),
    ("no", "Norwegian", "norsk"), ("pl", "Polish", "polski"), ("pt", "Portuguese", "português"),
    ("ro", "Romanian", "română"), ("ru", "Russian", "русский"), ("sk", "Slovak", "slovenčina"),
    ("sl", "Slovenian", "slovenščina"), ("sq", "Albanian", "shqip"), ("sr", "Serbian", "српски"),
    ("sv", "Swedish", "svenska"), ("th", "Thai", "ไทย"), ("tr", "Turkish", "Türkçe"),
    ("uk", "Ukrainian", "українська"), ("ur", "Urdu", "اردو"), ("vi", "Vietnamese", "Tiếng Việt"),
    ("zh", "Chinese", "中文"),
)
CODES = frozenset(code for code, _, _ in LANGUAGES)
_NAMES = {code: (english, own) for code, english, own in LANGUAGES}
# Other ways people wrote them in the free-text days.
_ALSO = {"nb": "no", "nn": "no", "bokmål": "no", "norwegian bokmål": "no", "flemish": "nl",
         "vlaams": "nl", "castellano": "es", "castilian": "es", "farsi": "fa",
         "francais": "fr", "espanol": "es", "portugues": "pt", "turkce": "tr",
         "mandarin": "zh", "cantonese": "zh", "brazilian portuguese": "pt", "iw": "he",
         "gb": "en", "uk english": "en", "us english": "en", "engl.": "en", "eng": "en",
         "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "ita": "it", "spa": "es",
         "nld": "nl", "dut": "nl", "pol": "pl", "por": "pt", "swe": "sv", "dan": "da"}
_LOOKUP = {**{code: code for code in CODES},
           **{english.lower(): code for code, english, _ in LANGUAGES},
           **{own.lower(): code for code, _, own in LANGUAGES}, **_ALSO}


def language_code(text: str | None) -> str | None:
    """The list's code for what someone wrote ("de", "de-AT", "German", "Deutsch"), or None
    when it is not recognised."""
    key = " ".join((text or "").split()).lower()
    if not key:
        return None
    if key in _LOOKUP:
        return _LOOKUP[key]
    head = key.replace("_", "-").split("-")[0].split(" (")[0]  # en-GB, pt_BR, "German (AT)"
    return _LOOKUP.get(head) if head in CODES or head in _LOOKUP else None


def language_label(value: str | None) -> str:
    """How a stored value reads: "German (Deutsch)", or a value from before the list."""
    if not value:
        return ""
    if value in _NAMES:
        english, own = _NAMES[value]
        return english if english == own else f"{english} ({own})"
    return f"{value} (not in the list)"


def language_choices(current: str | None) -> list[tuple[str, str]]:
    """The select's options; a stored value from before the list stays one of them."""
    choices = [("", "—")]
    if current and current not in CODES:
        choices.append((current, language_label(current)))
    return choices + [(code, language_label(code))
                      for code, _, _ in sorted(LANGUAGES, key=lambda lang: lang[1])]
