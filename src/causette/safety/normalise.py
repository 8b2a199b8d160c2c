"""Text normalisation before matching, so that spelling tricks do not evade the lexicons.

Two views of a message are made, once per check:

- `plain`: NFKC, case-folded, invisible characters removed, emoji letters and digits (keycaps,
  squared and circled letters, regional indicators) turned into ASCII, look-alike Cyrillic and
  Greek letters mapped to Latin. Punctuation is kept: handles, links, prices and phone numbers
  are read from this view.
- `words`: `plain` without accents, leetspeak decoded inside words (`c0ke`, `3sc0rt`), letters
  spelled apart joined (`p l a n`, `t.u.e.r`), every run of a repeated letter folded to one
  (`tuuuer`, and also `grosse` → `grose`: lexicon terms go through the same function, so both
  sides agree), emoji and other symbols made words of their own (`❄` → `u2744`), number
  words turned into digits (`quatorze` → `14`, `fourteen` → `14`), and
  everything that is not a letter or a digit turned into single spaces. Lexicons are matched on
  this view, padded with one space at each end so that a term " x " matches whole words.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_DATA = resources.files("causette.safety").joinpath("lexicons")

_INVISIBLE = dict.fromkeys(
    [
        0x00AD,
        0x034F,
        0x061C,
        0x115F,
        0x1160,
        0x17B4,
        0x17B5,
        0x180E,
        0x200B,
        0x200C,
        0x200D,
        0x200E,
        0x200F,
        0x202A,
        0x202B,
        0x202C,
        0x202D,
        0x202E,
        0x2060,
        0x2061,
        0x2062,
        0x2063,
        0x2064,
        0x2066,
        0x2067,
        0x2068,
        0x2069,
        0x3164,
        0xFE0E,
        0xFE0F,
        0xFEFF,
        0xFFA0,
        0x20E3,
    ]
)


def _emoji_letters() -> dict[int, str]:
    table: dict[int, str] = {}
    for base in (0x1F130, 0x1F150, 0x1F170, 0x1F1E6):  # squared, negative circled, negative squared, flags
        for i in range(26):
            table[base + i] = chr(ord("a") + i)
    table[0x1F51F] = "10"  # keycap ten
    return table


def _load_confusables() -> dict[int, str]:
    table: dict[int, str] = {}
    for line in _DATA.joinpath("confusables.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        chars, latin = line.split()
        for ch in chars:
            table[ord(ch)] = latin
    return table


# Typographic apostrophes and quotes are written the ASCII way, so patterns need only one form.
_PUNCTUATION = {
    ord("’"): "'",
    ord("‘"): "'",
    ord("ʼ"): "'",
    ord("´"): "'",
    ord("`"): "'",
    ord("«"): '"',
    ord("»"): '"',
    ord("“"): '"',
    ord("”"): '"',
}
_PLAIN_TABLE: dict[int, str | None] = {
    **_INVISIBLE,
    **_emoji_letters(),
    **_load_confusables(),
    **_PUNCTUATION,
}
# Accents go too: "é" and "e" are the same letter to every detector.
_FOLD: dict[str, str] = {}

# Leetspeak inside words. "1" is read as "i" ("1ove" is rarer than "p1an" in evasions).
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "@": "a",
        "$": "s",
        "€": "e",
        "!": "i",
        "|": "l",
    }
)
# The stdlib `re` is used on the hot path: it is faster than `regex` for these simple patterns.
_L = r"[a-z]"
_LEET_CHARS = r"[0-9@$€!|]"
# Leetspeak is decoded in a token only when a single leet character stands between two letters
# ("c0ke", "p1an", "h4sh", "3sc0rt", "s@lope"). Tokens like "lea14", "kev75", "18h30", "1m80",
# "3k€" or "15ans" are names, times, sizes and amounts, and stay as they are.
_INNER_LEET = re.compile(rf"{_L}{_LEET_CHARS}{_L}|\$[a-z]")
_TOKEN = re.compile(r"[a-z0-9@$€!|]+")
_HAS_LETTER = re.compile(_L)
_MIXED = re.compile(r"[0-9][a-z]|[a-z][0-9]")
_MIXED_TOKEN = re.compile(r"(?<![a-z0-9])(?=[a-z0-9]*[a-z])(?=[a-z0-9]*[0-9])[a-z0-9]{4,}(?![a-z0-9])")
_NON_LEET_DIGIT = re.compile(r"[269]")
_DIGIT_RUN = re.compile(r"[0-9]{2}")
_RUNS = re.compile(r"[0-9]+|[a-z]+")
# Letters that sit between two numbers in times, sizes and amounts: "18h30", "1m80", "2k5".
_UNITS = frozenset({"h", "m", "min", "mn", "km", "cm", "kg", "g", "k", "e", "x", "s", "ans", "an", "l"})
_SINGLE_LEET = re.compile(r"(?<![0-9])[0-9](?![0-9])|(?<=[a-z0-9])[@$€!|](?=[a-z0-9])|\$(?=[a-z])")
# Single letters or digits spelled apart with one and the same separator: "p l a n", "t.u.e.r",
# "c-o-k-e". With spaces, four at least and no digit, so that French one-letter words ("il y a
# 2 ans", "il y a l'eau") stay words.
_SPACED = re.compile(r"(?<![a-z0-9'])[a-z0-9]([ .\-_*/+~,]{1,3})(?:[a-z0-9]\1){1,}[a-z0-9](?![a-z0-9'])")
# One-letter words of French and English: three of them in a row are words, not a word spelled apart.
_ONE_LETTER_WORDS = frozenset({"a", "y", "o", "i"})
_REPEAT = re.compile(rf"({_L})\1+")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_NUMBER_LETTER = re.compile(rf"[0-9]{_L}|{_L}[0-9]")
_SPLIT_NUMBER_UNIT = re.compile(rf"(?<=[0-9])(?={_L})|(?<={_L})(?=[0-9])")
_ACCENTS = dict(zip(map(ord, "àâäáãåçéèêëíìîïñóòôöõúùûüýÿ"), "aaaaaaceeeeiiiinooooouuuuyy", strict=True))
_ACCENTS.update({ord("œ"): "oe", ord("æ"): "ae", ord("ß"): "ss"})
# Capitals too: look-alikes and accents are folded before case folding.
_ACCENTS.update({ord(chr(k).upper()): v for k, v in list(_ACCENTS.items()) if len(chr(k).upper()) == 1})
_ACCENT_CHARS = {chr(k): v for k, v in _ACCENTS.items()}
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=1)
def _number_words() -> tuple[dict[str, int], dict[str, int], frozenset[str]]:
    data = tomllib.loads(_DATA.joinpath("numbers.toml").read_text(encoding="utf-8"))
    units: dict[str, int] = {}
    tens: dict[str, int] = {}
    for lang in data.values():
        # Keys are folded like the text they are looked up in ("three" is "thre" there).
        units.update({_REPEAT.sub(r"\1", _strip_accents(k)): int(v) for k, v in lang["units"].items()})
        tens.update({_REPEAT.sub(r"\1", _strip_accents(k)): int(v) for k, v in lang["tens"].items()})
    joiners = frozenset(w for lang in data.values() for w in lang.get("joiners", []))
    return units, tens, joiners


def _fold_char(match: re.Match[str]) -> str:
    ch = match.group(0)
    folded = _FOLD.get(ch)
    if folded is None:
        mapped = _PLAIN_TABLE.get(ord(ch), ch)
        if mapped is None:
            folded = ""
        elif mapped in _ACCENT_CHARS:
            folded = _ACCENT_CHARS[mapped]
        else:
            decomposed = unicodedata.normalize("NFD", mapped)
            folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        if len(_FOLD) < 50_000:
            _FOLD[ch] = folded
    return folded


def _symbol_token(match: re.Match[str]) -> str:
    """An emoji or other symbol becomes a word of its own ("❄" → "u2744"), so that lexicons can
    list emoji codes as terms."""
    ch = match.group(0)
    return f" u{ord(ch):x} " if unicodedata.category(ch).startswith("S") else ch


@lru_cache(maxsize=1)
def _number_triggers() -> frozenset[str]:
    """Words that start a number; a lone "un"/"one" (mostly an article) is not one of them."""
    units, tens, _joiners = _number_words()
    return (frozenset(units) | frozenset(tens)) - {"un", "une", "one"}


def _strip_accents(text: str) -> str:
    return text if text.isascii() else _NON_ASCII.sub(_fold_char, text)


def _identifier(match: re.Match[str]) -> str:
    """Codes, references and random ids ("8f5b9f", "a56b9f", "x7k2p9") carry no meaning for the
    lexicons, and split into letters and numbers they would read as ages or abbreviations
    ("12f6" is not "12, female"): they are dropped. Kept: a number and a word ("lea14", "15ans"),
    times and sizes ("18h30", "1m80"), and leetspeak ("3sc0rt": single leet digits, no 2, 6, 9)."""
    token = match.group(0)
    runs = _RUNS.findall(token)
    leet = not _NON_LEET_DIGIT.search(token)
    if len(runs) <= 2:
        return token  # "lea14", "15ans", "c0", "3x"
    if len(runs) == 3:
        if runs[0].isdigit():  # digits, letters, digits: a time or a size if the letters are a unit
            return token if runs[1] in _UNITS else " "
        return token.translate(_LEET) if leet else " "  # letters, digits, letters: "c0ke", "w33d"
    return token if leet and not _DIGIT_RUN.search(token) else " "


def _deleet(match: re.Match[str]) -> str:
    token = match.group(0)
    if token.isdigit() or not _HAS_LETTER.search(token):
        return token
    return _SINGLE_LEET.sub(lambda m: m.group(0).translate(_LEET), token)


def _join_spaced(match: re.Match[str]) -> str:
    sep = match.group(1)
    text = match.group(0)
    parts = text.split(sep)
    if sep.strip() == "" and (
        any(p.isdigit() for p in parts) or (len(parts) < 4 and any(p in _ONE_LETTER_WORDS for p in parts))
    ):
        return text
    return "".join(parts)


def _small_tail(words: list[str], j: int, limit: int) -> tuple[int, int]:
    """After a tens word: an optional joiner ("et", "and") and a value 1..limit. Returns
    (value, next index); (0, j) when there is no tail."""
    units, _tens, joiners = _number_words()
    n = len(words)
    k = j + 1 if j < n and words[j] in joiners else j
    if k < n and words[k] == "dix" and k + 1 < n and words[k + 1] in ("sept", "huit", "neuf") and limit >= 17:
        return 10 + units[words[k + 1]], k + 2
    if k < n and words[k] in units and 1 <= units[words[k]] <= limit:
        return units[words[k]], k + 1
    return 0, j


def _parse_number(words: list[str], i: int) -> tuple[int, int] | None:
    units, tens, _joiners = _number_words()
    n = len(words)
    w = words[i]
    if w == "quatre" and i + 1 < n and words[i + 1] in ("vingt", "vingts"):
        tail, j = _small_tail(words, i + 2, 19)
        return 80 + tail, j
    if w in tens:
        base = tens[w]
        tail, j = _small_tail(words, i + 1, 19 if base in (60, 80) else 9)
        return base + tail, j
    if w == "dix" and i + 1 < n and words[i + 1] in ("sept", "huit", "neuf"):
        return 10 + units[words[i + 1]], i + 2
    if w in units and w not in ("un", "une", "one"):  # a lone "un" is mostly an article
        return units[w], i + 1
    return None


def _numbers_to_digits(words: list[str]) -> list[str]:
    """Turn number words into digits, one number per group: "quatre vingt dix" → "90",
    "dix sept" → "17", "twenty one" → "21", "zero six douze" → "0 6 12"."""
    if _number_triggers().isdisjoint(words):
        return words
    out: list[str] = []
    i = 0
    n = len(words)
    while i < n:
        parsed = _parse_number(words, i)
        if parsed is None:
            w = words[i]
            # "un"/"one" is a number among numbers ("zero six un deux …"), an article elsewhere.
            if w in ("un", "one") and (
                (out and out[-1].isdigit()) or (i + 1 < n and _parse_number(words, i + 1) is not None)
            ):
                w = "1"
            out.append(w)
            i += 1
        else:
            out.append(str(parsed[0]))
            i = parsed[1]
    return out


@dataclass(frozen=True, slots=True)
class Normalised:
    original: str
    plain: str
    words: str  # padded with one space at each end

    @property
    def tokens(self) -> list[str]:
        return self.words.split()


def plain_view(text: str) -> str:
    """NFKC, case-folded, with invisible, emoji, look-alike and accented letters folded to ASCII."""
    # Look-alikes are mapped before case folding: a Greek capital Ν imitates N, while its
    # lower case ν imitates v.
    return _strip_accents(unicodedata.normalize("NFKC", text)).casefold()


def words_view(plain: str) -> str:
    text = plain
    # A message that uses leetspeak somewhere ("v4is") is read as leetspeak in all its words
    # ("t3" too); otherwise names, times and sizes ("lea14", "18h30") keep their digits.
    leetspeak = _INNER_LEET.search(text)
    if _MIXED.search(text):
        text = _MIXED_TOKEN.sub(_identifier, text)
    if leetspeak:
        text = _TOKEN.sub(_deleet, text)
    text = _SPACED.sub(_join_spaced, text)
    text = _REPEAT.sub(r"\1", text)
    if _NUMBER_LETTER.search(text):
        text = _SPLIT_NUMBER_UNIT.sub(" ", text)
    if not text.isascii():
        text = _NON_ASCII.sub(_symbol_token, text)
    tokens = _NON_WORD.sub(" ", text).split()
    return " " + " ".join(_numbers_to_digits(tokens)) + " "


def normalise(text: str) -> Normalised:
    plain = plain_view(text)
    return Normalised(text, plain, words_view(plain))


_SYMBOL_CODE = re.compile(r"u[0-9a-f]{4,6}")


def normalise_term(term: str) -> str:
    """A lexicon term in the `words` view, without the padding. An emoji may be written as
    itself or as its code ("u2744"), the word it becomes in the `words` view."""
    parts = term.split()
    if not any(_SYMBOL_CODE.fullmatch(p) for p in parts):
        return words_view(plain_view(term)).strip()
    return " ".join(
        p if _SYMBOL_CODE.fullmatch(p) else words_view(plain_view(p)).strip() for p in parts
    ).strip()
