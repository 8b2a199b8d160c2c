"""Age and gender at entry."""

from __future__ import annotations

import pytest

from causette.domain.entry import GENDERS, validate_age, validate_gender
from causette.domain.errors import DomainError


def test_adult_age_is_accepted_as_is() -> None:
    assert validate_age(18, 18) == 18
    assert validate_age(120, 18) == 120


def test_minor_is_refused_with_underage() -> None:
    with pytest.raises(DomainError) as refused:
        validate_age(17, 18)
    assert refused.value.code == "underage"


def test_underage_message_points_to_3018_help_for_young_people() -> None:
    with pytest.raises(DomainError) as refused:
        validate_age(14, 18)
    message = refused.value.message
    assert "3018" in message
    assert "3018.fr" in message
    assert "e-enfance.org" in message
    assert "majeures" in message


def test_underage_follows_the_configured_minimum_age() -> None:
    assert validate_age(16, 15) == 16
    with pytest.raises(DomainError) as refused:
        validate_age(20, 21)
    assert refused.value.code == "underage"
    assert "21 ans" in refused.value.message


@pytest.mark.parametrize("age", [True, False, 18.0, "18", None, [18], -1, 121, 10**9])
def test_age_that_is_not_an_integer_from_0_to_120_is_invalid(age: object) -> None:
    with pytest.raises(DomainError) as refused:
        validate_age(age, 18)
    assert refused.value.code == "age_invalid"


def test_boolean_is_not_taken_for_an_age() -> None:
    # True == 1 in Python; with min_age 0 it would otherwise slip through as the age 1.
    with pytest.raises(DomainError) as refused:
        validate_age(True, 0)
    assert refused.value.code == "age_invalid"


@pytest.mark.parametrize("gender", GENDERS)
def test_each_gender_of_the_contract_is_accepted(gender: str) -> None:
    assert validate_gender(gender) == gender


@pytest.mark.parametrize("gender", ["F", "h", "", " f", "female", None, 1, ["f"]])
def test_gender_outside_f_m_x_is_invalid(gender: object) -> None:
    with pytest.raises(DomainError) as refused:
        validate_gender(gender)
    assert refused.value.code == "gender_invalid"


def test_domain_error_carries_code_and_french_message() -> None:
    error = DomainError("age_invalid", "L'âge doit être un nombre entier.")
    assert error.code == "age_invalid"
    assert error.message == "L'âge doit être un nombre entier."
    assert "age_invalid" in str(error)
