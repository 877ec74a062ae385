"""Text files a user brings (a case list, a report exported from the RIS), read as the text they
hold or refused with how to save them: never decoded with a guessed code page and never with
replacement characters, either of which changes a report's words without a word."""
from __future__ import annotations

import codecs


class TextNotReadable(ValueError):
    """The file is not text in an encoding it names or UTF-8; the message says how to save it."""


def decoded(data: bytes, name: str, how_to_save: str = "save it as UTF-8") -> str:
    """The file's text: UTF-16 when its byte-order mark says so, else UTF-8 (a BOM dropped).

    A file in another encoding (Windows' ANSI code page, which the bytes do not name) is refused,
    not guessed: cp1252 for a Polish or Greek report would change its letters without a word, and
    so would a statistical detector (charset-normalizer) guessing among code pages."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise TextNotReadable(f"{name}: damaged UTF-16 text ({exc.reason}); {how_to_save}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise TextNotReadable(f"{name}: not UTF-8 text (line {line} has the byte 0x{data[exc.start]:02X}, as a "
                              f"Windows program's plain text writes an accented letter); {how_to_save}") from exc
