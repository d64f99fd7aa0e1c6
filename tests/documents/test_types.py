"""The kind of a document comes from its content, never from its name."""
from __future__ import annotations

import pytest

from app.documents.types import DocumentTypeError, detect
from tests.documents import samples


@pytest.mark.parametrize("data, key", [
    (samples.pdf(), "pdf"), (samples.png(), "png"), (samples.docx(), "docx"),
    (samples.csv_text(), "txt"), (b"Plain words\r\nand lines\t\n", "txt"),
    ("Grüße aus Köln".encode("cp1252"), "txt"),
])
def test_allowed_kinds_are_recognised(data, key):
    assert detect(data).key == key


@pytest.mark.parametrize("data, words", [
    (samples.exe(), "EXE file"), (samples.plain_zip(), "ZIP file"),
    (b"\x00\x01\x02binary\xff\xfe", "could not tell"), (b"", "could not tell"),
])
def test_other_files_are_refused_with_a_reason(data, words):
    with pytest.raises(DocumentTypeError, match=words):
        detect(data)


def test_text_cut_inside_a_character_is_still_text():
    data = ("a" * 8191 + "ü").encode()  # the ü's second byte falls past the sample
    assert detect(data[:8192]).key == "txt"
