"""Pseudonym rules: what may be typed, and when two names count as the same one."""

from __future__ import annotations

import os
import pickle
import random
import subprocess
import sys
from pathlib import Path

import pytest

from causette.domain.errors import DomainError
from causette.domain.pseudonyms import (
    MAX_LENGTH,
    is_reserved,
    normalise_pseudonym,
    skeleton,
    validate_pseudonym,
)

SRC = Path(__file__).resolve().parents[2] / "src"


def refusal_code(raw: str) -> str:
    with pytest.raises(DomainError) as refused:
        validate_pseudonym(raw)
    return refused.value.code


# --- Normalisation ----------------------------------------------------------------------------------


def test_pseudonym_is_trimmed_and_inner_spaces_folded() -> None:
    assert normalise_pseudonym("  Jean \t  Luc  ") == "Jean Luc"


def test_fullwidth_letters_become_ordinary_letters() -> None:
    assert normalise_pseudonym("Ｃａｍｉｌｌｅ") == "Camille"


def test_decomposed_accent_is_composed_and_counted_once() -> None:
    assert normalise_pseudonym("Zoe\u0308") == "Zoë"


def test_no_break_space_is_folded_like_a_space() -> None:
    assert normalise_pseudonym("Marie\u00a0Anne") == "Marie Anne"


@pytest.mark.parametrize(
    "name", ["Camille", "jean-luc", "Zoë_75", "el.mago", "Ana Lía", "Ελένη", "Дмитрий", "李小龍", "Nguyễn"]
)
def test_ordinary_names_in_any_script_are_accepted(name: str) -> None:
    display, _ = validate_pseudonym(name)
    assert display == name


def test_two_characters_is_too_short() -> None:
    assert refusal_code("Al") == "pseudonym_invalid"


def test_twenty_characters_is_the_maximum() -> None:
    assert normalise_pseudonym("a" * MAX_LENGTH) == "a" * MAX_LENGTH
    assert refusal_code("a" * (MAX_LENGTH + 1)) == "pseudonym_invalid"


def test_length_is_measured_after_folding_spaces() -> None:
    assert normalise_pseudonym("a" + " " * 40 + "b") == "a b"


def test_huge_input_is_refused_before_normalisation() -> None:
    assert refusal_code("a" * 100_000) == "pseudonym_invalid"


def test_name_made_only_of_separators_is_refused() -> None:
    assert refusal_code("_-._") == "pseudonym_invalid"


def test_non_string_pseudonym_is_refused_not_crashing() -> None:
    with pytest.raises(DomainError) as refused:
        normalise_pseudonym(42)  # type: ignore[arg-type]
    assert refused.value.code == "pseudonym_invalid"


# --- Refused characters -----------------------------------------------------------------------------


def test_bidi_override_in_pseudonym_is_refused() -> None:
    assert refusal_code("evil\u202egnp.exe") == "pseudonym_invalid"


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u2066"])
def test_zero_width_and_format_characters_are_refused(invisible: str) -> None:
    assert refusal_code(f"Ali{invisible}ce") == "pseudonym_invalid"


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f", "\x9b"])
def test_control_characters_are_refused(control: str) -> None:
    assert refusal_code(f"Ali{control}ce") == "pseudonym_invalid"


def test_private_use_character_is_refused() -> None:
    assert refusal_code("Alice\ue000") == "pseudonym_invalid"


@pytest.mark.parametrize("emoji", ["😀", "❤", "🇫🇷", "✨"])
def test_emoji_in_pseudonym_is_refused(emoji: str) -> None:
    assert refusal_code(f"Alice{emoji}") == "pseudonym_invalid"


@pytest.mark.parametrize("symbol", ["@", "!", "/", "<", "'", "$", "*"])
def test_punctuation_other_than_underscore_dash_dot_is_refused(symbol: str) -> None:
    assert refusal_code(f"Ali{symbol}ce") == "pseudonym_invalid"


@pytest.mark.parametrize("filler", ["\u3164", "\u115f", "\u1160", "\uffa0"])
def test_hangul_filler_blank_name_trick_is_refused(filler: str) -> None:
    assert refusal_code(f"Bob{filler}") == "pseudonym_invalid"
    assert refusal_code(filler * 5) == "pseudonym_invalid"


def test_variation_selector_is_refused() -> None:
    assert refusal_code("Alice\ufe0f") == "pseudonym_invalid"


def test_zalgo_stack_of_combining_marks_is_refused() -> None:
    assert refusal_code("Z\u0336\u0337\u0338oe") == "pseudonym_invalid"


def test_two_combining_marks_on_a_letter_are_allowed() -> None:
    # Vietnamese stacks two diacritics on one letter; NFKC composes this pair away, so use a letter
    # with no precomposed form to keep the marks.
    display, _ = validate_pseudonym("q\u0323\u0302uan")
    assert display == "q\u0323\u0302uan"


def test_combining_mark_at_start_or_after_a_digit_is_refused() -> None:
    assert refusal_code("\u0301Alice") == "pseudonym_invalid"
    assert refusal_code("Bob7\u0301") == "pseudonym_invalid"
    assert refusal_code("Bob_\u0301") == "pseudonym_invalid"


def test_enclosing_mark_is_refused() -> None:
    assert refusal_code("Alice\u20dd") == "pseudonym_invalid"


def test_refusal_message_names_invisible_character_by_code_point_only() -> None:
    with pytest.raises(DomainError) as refused:
        validate_pseudonym("evil\u202eexe")
    assert "U+202E" in refused.value.message
    assert "\u202e" not in refused.value.message


# --- Skeleton ---------------------------------------------------------------------------------------


def test_cyrillic_a_collides_with_latin_a() -> None:
    assert skeleton("Alice") == skeleton("\u0410lice") == skeleton("alice") == skeleton("ALICE")
    assert skeleton("paypal") == skeleton("p\u0430yp\u0430l")


def test_greek_alpha_collides_with_latin_a() -> None:
    assert skeleton("Admin") == skeleton("\u0391dmin")
    assert skeleton("ADMIN") == skeleton("\u0391DMIN")


def test_case_does_not_make_a_new_name() -> None:
    assert skeleton("JeanLuc") == skeleton("jeanluc") == skeleton("JEANLUC")
    assert skeleton("Straße") == skeleton("STRASSE")
    assert skeleton("Élise") == skeleton("élise")


def test_capital_i_digit_one_and_small_l_collide() -> None:
    assert skeleton("Paul") == skeleton("PauI") == skeleton("Pau1") == skeleton("PAUL")


def test_digit_zero_collides_with_letter_o() -> None:
    assert skeleton("B0B") == skeleton("bob")


def test_r_n_collides_with_m() -> None:
    assert skeleton("Emma") == skeleton("Ernrna")


def test_uppercase_cyrillic_lookalikes_collide_with_latin_capitals() -> None:
    # К, Т, В, М, Н look like K, T, B, M, H in upper case only.
    assert skeleton("KEVIN") == skeleton("\u041aEVIN")
    assert skeleton("TOM") == skeleton("\u0422\u041e\u041c")
    assert skeleton("BOB") == skeleton("\u0412\u041e\u0412")


def test_cyrillic_name_is_case_insensitive_too() -> None:
    assert skeleton("Вова") == skeleton("ВОВА")
    assert skeleton("Дмитрий") == skeleton("ДМИТРИЙ")


def test_greek_nu_does_not_merge_n_and_v() -> None:
    # Ν looks like N but ν looks like v: merging them by case would make these two names one.
    assert skeleton("nina") != skeleton("viva")


def test_mathematical_and_fullwidth_letters_collide_with_plain_letters() -> None:
    assert skeleton("\U0001d41a\U0001d425\U0001d422\U0001d41c\U0001d41e") == skeleton("alice")
    assert skeleton("ａｌｉｃｅ") == skeleton("alice")


def test_different_names_have_different_skeletons() -> None:
    assert skeleton("alice") != skeleton("bob")
    assert skeleton("Élise") != skeleton("Elise")
    assert skeleton("camille") != skeleton("camilla")


def test_separators_are_kept_in_the_skeleton() -> None:
    assert skeleton("al_ice") != skeleton("alice")
    assert skeleton("al-ice") != skeleton("al_ice")
    assert skeleton("jean\u2010luc") == skeleton("jean-luc")


def test_skeleton_is_idempotent() -> None:
    rng = random.Random(39)
    alphabet = "AaIl1|0Oo mM_-.éÉßΑαΝνВвКкДд𝐚ａ" + "".join(chr(c) for c in range(0x20, 0x7F))
    for _ in range(2000):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20)))
        once = skeleton(name)
        assert skeleton(once) == once, name


def test_validate_pseudonym_returns_display_name_and_skeleton() -> None:
    display, key = validate_pseudonym("  Аlice  ")
    assert display == "Аlice"
    assert key == skeleton("alice")


def test_skeleton_table_is_identical_across_hash_seeds() -> None:
    # Skeletons are shared keys between cluster nodes; the table must not depend on set ordering.
    script = (
        "import hashlib, json; from causette.domain.pseudonyms import _SKELETON_TABLE as t;"
        "print(hashlib.sha256(json.dumps(sorted(t.items())).encode()).hexdigest())"
    )
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(SRC)}
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(result.stdout.strip())
    assert len(digests) == 1


# --- Reserved names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["admin", "Admin", "ADMIN", "\u0391dmin", "Modérateur", "moderateur", "causette", "Bot", "root"]
)
def test_reserved_name_is_refused_whatever_its_case_accent_or_script(name: str) -> None:
    assert is_reserved(name)
    assert refusal_code(name) == "pseudonym_reserved"


@pytest.mark.parametrize(
    "name", ["admin_42", "Le.Modo", "SuperAdmin", "m o d o", "P0LICE nationale", "Ädmin"]
)
def test_name_containing_a_long_reserved_word_is_refused(name: str) -> None:
    assert refusal_code(name) == "pseudonym_reserved"


def test_short_reserved_word_only_matches_the_whole_name() -> None:
    assert is_reserved("bot")
    assert not is_reserved("Robotte")
    assert not is_reserved("Abbott")


@pytest.mark.parametrize("name", ["bob", "Camille", "Alice", "jean-luc", "Amine"])
def test_ordinary_name_is_not_reserved(name: str) -> None:
    assert not is_reserved(name)


def test_teamwork_is_refused_as_a_known_cost_of_containment() -> None:
    assert is_reserved("Teamwork")


def test_domain_error_survives_pickling() -> None:
    with pytest.raises(DomainError) as refused:
        validate_pseudonym("admin")
    copy = pickle.loads(pickle.dumps(refused.value))
    assert (copy.code, copy.message) == (refused.value.code, refused.value.message)
