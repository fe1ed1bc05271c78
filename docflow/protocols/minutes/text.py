"""Text folding: clean what Word wrote, fold Kazakh letters to Russian ones for matching."""

from __future__ import annotations

import re
from functools import lru_cache

# --- text helpers ------------------------------------------------------------------------------

_CLEAN = str.maketrans(
    {
        "\u00a0": " ",
        "\u202f": " ",
        "\u2007": " ",
        "\u2009": " ",
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
        "\u00ad": None,
        "\r": "\n",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2011": "-",
    }
)
# One character for one character, so positions in the folded text are positions in the text.
_FOLD1 = str.maketrans(
    {
        "ә": "а",
        "ғ": "г",
        "қ": "к",
        "ң": "н",
        "ө": "о",
        "ұ": "у",
        "ү": "у",
        "һ": "х",
        "і": "и",
        "ё": "е",
        "й": "и",
        "ə": "а",
        "ǝ": "а",
        "ɵ": "о",
        # Latin look-alikes typed inside Cyrillic words; Kazakh і is often typed as Latin i.
        "a": "а",
        "c": "с",
        "e": "е",
        "o": "о",
        "p": "р",
        "x": "х",
        "y": "у",
        "k": "к",
        "m": "м",
        "t": "т",
        "i": "и",
    }
)
_FOLD1_MAP = {chr(k): v for k, v in _FOLD1.items()}
_FOLD1_CHARS = re.compile("[" + "".join(_FOLD1_MAP) + "]")
_DOUBLE = re.compile(r"([^\W\d_])\1+")
_WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d+|\n|[^\w\s]")
_UP = "А-ЯЁӘҒҚҢӨҰҮҺІ"
_LO = "а-яёәғқңөұүһі"


_NEEDS_CLEAN = re.compile(
    "[\u00a0\u202f\u2007\u2009\u200b-\u200d\ufeff\u00ad\r\u201c-\u201e\u2011]"
)


def clean(text: str) -> str:
    """Normalise spaces, quotes and invisible characters of text taken from a document."""
    return text.translate(_CLEAN) if _NEEDS_CLEAN.search(text) else text


def fold1(text: str) -> str:
    """Lower case with Kazakh letters folded to Russian ones, same length as ``text``."""
    low = text.lower()
    if len(low) != len(text):  # e.g. "İ" lowers to two characters
        low = "".join(ch.lower()[:1] for ch in text)
    # str.translate is slow on Cyrillic text; replace only the letters that occur.
    for ch in set(_FOLD1_CHARS.findall(low)):
        low = low.replace(ch, _FOLD1_MAP[ch])
    return low


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Matching key of a word: ``fold1``, no soft/hard signs, doubled letters collapsed
    (Сейітов and Сейтов, Касымов and Қасымов, аппарат and апарат compare equal)."""
    return _DOUBLE.sub(r"\1", fold1(word).replace("ь", "").replace("ъ", ""))


_SPACES_RX = re.compile(r"[ \t]+")


def _squash(text: str) -> str:
    return _SPACES_RX.sub(" ", text).strip()
