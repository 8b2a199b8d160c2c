"""causette.safety.normalise: the two views of a message that every detector reads.

`plain` keeps punctuation (handles, links, prices); `words` is lower-case ASCII words and digits,
padded with one space at each end. Tests marked `xfail(strict=True)` pin known bugs: each one
states the behaviour that the lexicons need; when the normaliser is fixed, the test passes, the
strict marker turns that into a failure, and the marker is removed.
"""

from __future__ import annotations

import pytest

from causette.safety.engine import _phone_number
from causette.safety.normalise import normalise, normalise_term, plain_view


def words(text: str) -> str:
    return normalise(text).words


# --- the shape of the views ----------------------------------------------------------------------
def test_words_view_is_padded_lower_ascii() -> None:
    n = normalise("  Salut, ÇA VA ?  ")
    assert n.words == " salut ca va "
    assert n.tokens == ["salut", "ca", "va"]
    assert n.original == "  Salut, ÇA VA ?  "


def test_empty_and_punctuation_only() -> None:
    assert words("") == "  "
    assert words("?? ... ,;") == "  "


def test_plain_view_keeps_punctuation() -> None:
    assert plain_view("Snap: Kev_75 !") == "snap: kev_75 !"
    assert plain_view("ça coûte 12,50 €") == "ca coute 12,50 €"
    assert plain_view("https://Exemple.com/Profil") == "https://exemple.com/profil"


def test_apostrophes_and_punctuation_become_spaces() -> None:
    assert words("j'ai") == " j ai "
    assert words("t'as quel âge ?") == " t as quel age "
    assert words("aujourd'hui, c'est-à-dire") == " aujourd hui c est a dire "


# --- Unicode: NFKC, invisible characters, confusables ---------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ｃｏｋｅ", " coke "),  # fullwidth
        ("ＣＯＫＥ", " coke "),
        ("ﬁlm", " film "),  # ligature
        ("𝐜𝐨𝐤𝐞", " coke "),  # mathematical bold
        ("𝓬𝓸𝓴𝓮", " coke "),  # mathematical script
        ("ⓒⓞⓚⓔ", " coke "),  # circled letters
    ],
)
def test_nfkc(text: str, expected: str) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "co\u200bke",  # zero width space
        "c\u200do\u00adke",  # zero width joiner, soft hyphen
        "c\u2060oke",  # word joiner
        "\ufeffcoke",  # byte order mark
        "c\u200co\u200ek\u200fe",  # non-joiner, LRM, RLM
        "co\u202eke",  # right-to-left override
    ],
)
def test_invisible_characters_are_removed(text: str) -> None:
    assert words(text) == " coke "
    assert plain_view(text) == "coke"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("сoke", " coke "),  # Cyrillic с
        ("соке", " coke "),  # all Cyrillic
        ("viens s\u0435ule", " viens seule "),  # Cyrillic е
        ("ВОХ", " box "),  # Cyrillic capitals
        ("ΚΟΚΕ", " koke "),  # Greek capitals
        ("ΒΙΚΕ", " bike "),
        ("pаypаl", " paypal "),  # Cyrillic а
        ("аdrеssе", " adrese "),
    ],
)
def test_confusables(text: str, expected: str) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("ΝΕΤ", " net "), ("ΗΟΤ", " hot "), ("ΤΟΜ", " tom ")])
def test_confusables_greek_capitals(text: str, expected: str) -> None:
    assert words(text) == expected


def test_confusables_lunate_sigma() -> None:
    assert words("ϲoke") == " coke "


# --- case and accents ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("COKE", " coke "),
        ("CoKe", " coke "),
        ("ÉCOLE", " ecole "),
        ("élève", " eleve "),
        ("où ça", " ou ca "),
        ("Noël", " noel "),
        ("Œuf", " oeuf "),
        ("cœur", " coeur "),
        ("naïve", " naive "),
        ("Straße", " strase "),  # ß → ss, then the doubled letter is folded
    ],
)
def test_case_and_accents(text: str, expected: str) -> None:
    assert words(text) == expected


# --- leetspeak ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("c0ke", " coke "),
        ("3sc0rt", " escort "),
        ("C0K3", " coke "),
        ("sn@p", " snap "),
        ("$nap", " snap "),
        ("p1an", " pian "),  # "1" is read as "i"
        ("h3llo", " helo "),
        ("adr3sse", " adrese "),
        ("d0nne m0i t0n adr3sse", " done moi ton adrese "),
    ],
)
def test_leetspeak(text: str, expected: str) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    ("text", "number"), [("lea14", "14"), ("kev75", "75"), ("x100", "100"), ("h24", "24")]
)
def test_digits_after_letters_stay_a_number(text: str, number: str) -> None:
    assert number in normalise(text).tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("viens seule!", " viens seule "),
        ("help!!", " help "),
        ("@lea tu viens ?", " lea tu viens "),
        ("ton adresse|", " ton adrese "),
    ],
)
def test_trailing_exclamation_is_not_a_letter(text: str, expected: str) -> None:
    assert words(text) == expected


# --- separators inside words --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("p l a n", " plan "),
        ("t.u.e.r", " tuer "),
        ("c-o-k-e", " coke "),
        ("c*o*k*e", " coke "),
        ("s_n_a_p", " snap "),
        ("s/n/a/p", " snap "),
        ("c-o-k-e dispo", " coke dispo "),
        ("viens s.e.u.l.e", " viens seule "),
        ("s n a p : kev_75", " snap kev 75 "),
    ],
)
def test_letters_spelled_apart_are_joined(text: str, expected: str) -> None:
    assert words(text) == expected


def test_mixed_separators_are_not_joined() -> None:
    # One kind of separator per word spelled apart: "a. b c" is not a word.
    assert words("a. b-c") == " a b c "


def test_two_words_spelled_apart() -> None:
    assert words("v.i.e.n.s s.e.u.l.e") == " viens seule "


@pytest.mark.parametrize(
    ("text", "expected"), [("il y a 2 ans", " il y a 2 ans "), ("il y a l'eau", " il y a l eau ")]
)
def test_one_letter_words_are_not_joined(text: str, expected: str) -> None:
    assert words(text) == expected


# --- repeated letters ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tuuuuer", " tuer "),
        ("grosse", " grose "),
        ("appelle", " apele "),
        ("coooool", " col "),
        ("viiiens seuuule", " viens seule "),
        ("mdrrrrr", " mdr "),
    ],
)
def test_repeated_letters_are_folded(text: str, expected: str) -> None:
    assert words(text) == expected


def test_terms_are_normalised_like_messages() -> None:
    # A lexicon term written normally meets the message folded the same way.
    assert normalise_term("grosse") == "grose"
    assert normalise_term("Whatsapp") == "whatsap"
    assert normalise_term("t'as quel âge") == "t as quel age"
    assert normalise_term("quatorze ans") == "14 ans"
    assert normalise_term("❄") == words("❄").strip()


def test_repeated_digits_are_kept() -> None:
    assert words("1100 euros") == " 1100 euros "
    assert words("06 00 11 22 33") == " 06 00 11 22 33 "


# --- emoji digits and letters -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1️⃣4️⃣ ans", " 14 ans "),  # keycaps
        ("j'ai 1️⃣5️⃣ ans", " j ai 15 ans "),
        ("🔟", " 10 "),  # keycap ten
        ("①②", " 12 "),  # circled digits
        ("0️⃣6️⃣1️⃣2️⃣3️⃣4️⃣5️⃣6️⃣7️⃣8️⃣", " 0612345678 "),
        ("🅲🅾🅺🅴", " coke "),  # negative squared letters
        ("🄲🄾🄺🄴", " coke "),  # squared letters
        ("🅒🅞🅚🅔", " coke "),  # negative circled letters
        ("🇨🇴🇰🇪", " coke "),  # regional indicators
    ],
)
def test_emoji_digits_and_letters(text: str, expected: str) -> None:
    assert words(text) == expected


def test_other_emoji_are_words_of_their_own() -> None:
    assert words("la neige ❄️") == " la neige u2744 "
    assert words("💰💰") == " u1f4b0 u1f4b0 "
    assert plain_view("la neige ❄️") == "la neige ❄"


# --- number words -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quatorze", " 14 "),
        ("j'ai quatorze ans", " j ai 14 ans "),
        ("dix-sept", " 17 "),
        ("dix sept ans", " 17 ans "),
        ("dix-huit", " 18 "),
        ("seize", " 16 "),
        ("vingt et un", " 21 "),
        ("vingt-deux", " 22 "),
        ("quarante-deux", " 42 "),
        ("soixante-dix", " 70 "),
        ("soixante et onze", " 71 "),
        ("soixante-douze", " 72 "),
        ("soixante-dix-sept", " 77 "),
        ("soixante-dix-neuf", " 79 "),
        ("quatre-vingts", " 80 "),
        ("quatre vingt un", " 81 "),
        ("quatre-vingt-onze", " 91 "),
        ("quatre-vingt-dix", " 90 "),
        ("quatre-vingt-dix-neuf", " 99 "),
        ("quatre-vingt-dix-neuf ans", " 99 ans "),
        ("septante-cinq", " 75 "),  # Belgian and Swiss
        ("nonante", " 90 "),
        ("zéro", " 0 "),
        ("twenty one", " 21 "),
        ("twenty-one", " 21 "),
        ("twenty and one", " 21 "),
        ("fifty-five", " 55 "),
        ("sixty nine", " 69 "),
        ("ninety nine", " 99 "),
        ("twelve", " 12 "),
        ("cinq et six", " 5 et 6 "),
    ],
)
def test_number_words(text: str, expected: str) -> None:
    assert words(text) == expected


@pytest.mark.parametrize("text", ["un ami", "une fois", "one day", "c'est un", "et toi"])
def test_articles_are_not_numbers(text: str) -> None:
    assert not any(t.isdigit() for t in normalise(text).tokens)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("three", " 3 "),
        ("fourteen", " 14 "),
        ("i'm fifteen", " i m 15 "),
        ("seventeen", " 17 "),
        ("eighteen", " 18 "),
        ("thirteen years old", " 13 years old "),
    ],
)
def test_english_number_words_with_doubled_letters(text: str, expected: str) -> None:
    assert words(text) == expected


# --- spelled phone numbers ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zéro six douze trente-quatre cinquante-six soixante-dix-huit", " 0 6 12 34 56 78 "),
        ("zero six, douze, trente quatre, cinquante six, soixante dix huit", " 0 6 12 34 56 78 "),
        ("06 douze 34 cinquante-six 78", " 06 12 34 56 78 "),
        ("zero six twelve thirty four fifty six seventy eight", " 0 6 12 34 56 78 "),
        ("0 6 1 2 3 4 5 6 7 8", " 0 6 1 2 3 4 5 6 7 8 "),  # digits spelled apart stay tokens
        ("06.12.34.56.78", " 06 12 34 56 78 "),
    ],
)
def test_spelled_phone_numbers(text: str, expected: str) -> None:
    w = words(text)
    assert w == expected
    assert _phone_number(w) is not None


def test_spelled_phone_number_with_un() -> None:
    w = words("zéro six un deux trois quatre cinq six sept huit")
    assert w == " 0 6 1 2 3 4 5 6 7 8 "
    assert _phone_number(w) is not None


# --- what must NOT change -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15ans", " 15 ans "),  # a number and its unit
        ("j'ai 15ans", " j ai 15 ans "),
        ("14 ans", " 14 ans "),
        ("3e", " 3 e "),
        ("4ème", " 4 eme "),
        ("1er", " 1 er "),
        ("10h", " 10 h "),
        ("24h/24", " 24 h 24 "),
        ("7j/7", " 7 j 7 "),
        ("ça coûte 12,50", " ca coute 12 50 "),  # prices keep their digits
        ("12.50€", " 12 50 u20ac "),
        ("né en 1990", " ne en 1990 "),
        ("mon code postal 75011", " mon code postal 75011 "),
        ("il fait 14 degrés", " il fait 14 degres "),
        ("on a gagné 3-1", " on a gagne 3 1 "),
        ("06 12 34 56 78", " 06 12 34 56 78 "),
        ("100 000", " 100 000 "),
    ],
)
def test_numbers_and_units_are_kept(text: str, expected: str) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("18h30", ["18", "h", "30"]), ("rdv à 2h30", ["rdv", "a", "2", "h", "30"]), ("1m80", ["1", "m", "80"])],
)
def test_times_stay_numbers(text: str, tokens: list[str]) -> None:
    assert normalise(text).tokens == tokens


def test_amount_with_unit_and_currency() -> None:
    assert normalise("3k€ par mois").tokens[:2] == ["3", "k"]


def test_normalise_is_stable() -> None:
    # Normalising the words view again changes nothing (terms and messages agree).
    for text in ["J'ai QUATORZE ans", "ajoute moi sur snap: kev_75", "c0ke dispo", "p l a n ce soir"]:
        once = normalise(text).words
        assert normalise(once).words == once


@pytest.mark.parametrize("code", ["u2744", "u1f4b0"])
def test_emoji_codes_as_terms(code: str) -> None:
    assert normalise_term(code) == code
