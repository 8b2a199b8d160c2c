"""Rules for the fields asked at entry besides the pseudonym and the postal code: age and gender.

The values arrive straight from JSON, hence the `object` parameters: the checks here are the ones
that decide what a well-typed value is (a JSON `true` is not an age, `18.0` is not an integer).
"""

from __future__ import annotations

from typing import Final

from causette.domain.errors import DomainError

GENDERS: Final = ("f", "m", "x")
MIN_AGE: Final = 0
MAX_AGE: Final = 120

# Help for young people comes first: a minor turned away should leave knowing where to find it, not
# look for a way around the gate. The 3018 is the free national number against online harassment for
# young people, run by the association e-Enfance.
_UNDERAGE_HELP = (
    "Si tu as moins de {min_age} ans et que quelque chose te met mal à l'aise en ligne, appelle le "
    "3018 (gratuit, anonyme et confidentiel) ou va sur 3018.fr (association e-Enfance, e-enfance.org)."
)


def _underage_message(min_age: int) -> str:
    if min_age == 18:
        who = "Causette est réservé aux personnes majeures."
    else:
        who = f"Causette est réservé aux personnes de {min_age} ans et plus."
    return f"{who} {_UNDERAGE_HELP.format(min_age=min_age)}"


def validate_age(age: object, min_age: int) -> int:
    """Return `age` if it is a plausible age of at least `min_age`, or raise DomainError.

    Codes: "age_invalid" for anything but an integer from 0 to 120, "underage" below `min_age`.
    """
    # bool is a subclass of int, and a JSON `true` must not pass for the age 1.
    if isinstance(age, bool) or not isinstance(age, int) or not MIN_AGE <= age <= MAX_AGE:
        raise DomainError("age_invalid", f"L'âge doit être un nombre entier entre {MIN_AGE} et {MAX_AGE}.")
    if age < min_age:
        raise DomainError("underage", _underage_message(min_age))
    return age


def validate_gender(g: object) -> str:
    """Return `g` if it is one of GENDERS, or raise DomainError("gender_invalid")."""
    if not isinstance(g, str) or g not in GENDERS:
        raise DomainError("gender_invalid", "Le genre doit être « f », « m » ou « x ».")
    return g
