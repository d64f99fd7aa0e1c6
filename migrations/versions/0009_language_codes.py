"""customers.language: free text becomes a code from the list (app/customers/languages.py)

What is recognised ("de", "de-AT", "German", "Deutsch") becomes its ISO 639-1 code; what
is not stays as it was typed, and the customer file shows it as "… (not in the list)"
until someone picks a language. The mapping is frozen here, as the list was when this
migration was written: a later change to the list must not change what this did.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 02:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# code: English name, own name
_NAMES = {
    "ar": ("arabic", "العربية"), "bg": ("bulgarian", "български"), "bs": ("bosnian", "bosanski"),
    "ca": ("catalan", "català"), "cs": ("czech", "čeština"), "cy": ("welsh", "cymraeg"),
    "da": ("danish", "dansk"), "de": ("german", "deutsch"), "el": ("greek", "ελληνικά"),
    "en": ("english", "english"), "es": ("spanish", "español"), "et": ("estonian", "eesti"),
    "eu": ("basque", "euskara"), "fa": ("persian", "فارسی"), "fi": ("finnish", "suomi"),
    "fr": ("french", "français"), "ga": ("irish", "gaeilge"), "gl": ("galician", "galego"),
    "he": ("hebrew", "עברית"), "hi": ("hindi", "हिन्दी"), "hr": ("croatian", "hrvatski"),
    "hu": ("hungarian", "magyar"), "is": ("icelandic", "íslenska"), "it": ("italian", "italiano"),
    "ja": ("japanese", "日本語"), "ko": ("korean", "한국어"),
    "lb": ("luxembourgish", "lëtzebuergesch"), "lt": ("lithuanian", "lietuvių"),
    "lv": ("latvian", "latviešu"), "mk": ("macedonian", "македонски"), "mt": ("maltese", "malti"),
    "nl": ("dutch", "nederlands"), "no": ("norwegian", "norsk"), "pl": ("polish", "polski"),
    "pt": ("portuguese", "português"), "ro": ("romanian", "română"), "ru": ("russian", "русский"),
    "sk": ("slovak", "slovenčina"), "sl": ("slovenian", "slovenščina"), "sq": ("albanian", "shqip"),
    "sr": ("serbian", "српски"), "sv": ("swedish", "svenska"), "th": ("thai", "ไทย"),
    "tr": ("turkish", "türkçe"), "uk": ("ukrainian", "українська"), "ur": ("urdu", "اردو"),
    "vi": ("vietnamese", "tiếng việt"), "zh": ("chinese", "中文"),
}
_ALSO = {"nb": "no", "nn": "no", "bokmål": "no", "norwegian bokmål": "no", "flemish": "nl",
         "vlaams": "nl", "castellano": "es", "castilian": "es", "farsi": "fa",
         "francais": "fr", "espanol": "es", "portugues": "pt", "turkce": "tr",
         "mandarin": "zh", "cantonese": "zh", "brazilian portuguese": "pt", "iw": "he",
         "gb": "en", "uk english": "en", "us english": "en", "engl.": "en", "eng": "en",
         "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "ita": "it", "spa": "es",
         "nld": "nl", "dut": "nl", "pol": "pl", "por": "pt", "swe": "sv", "dan": "da"}
_LOOKUP = {**{code: code for code in _NAMES},
           **{name: code for code, names in _NAMES.items() for name in names}, **_ALSO}


def _code(text):
    key = " ".join((text or "").split()).lower()
    if not key:
        return None
    if key in _LOOKUP:
        return _LOOKUP[key]
    head = key.replace("_", "-").split("-")[0].split(" (")[0]
    return _LOOKUP.get(head)


customers = sa.table("customers", sa.column("id", sa.Integer),
                     sa.column("language", sa.String(20)))


def upgrade():
    conn = op.get_bind()
    rows = conn.execute(sa.select(customers.c.language).where(customers.c.language != "")
                        .distinct()).all()
    for (value,) in rows:
        code = _code(value)
        if code is not None and code != value:
            conn.execute(customers.update().where(customers.c.language == value)
                         .values(language=code))


def downgrade():
    pass  # codes are valid free text: nothing to undo
