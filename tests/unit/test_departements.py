"""Postal code -> département -> région, as shown to other users."""

from __future__ import annotations

import pytest

from causette.domain.departements import (
    DEPARTEMENT_NAMES,
    REGIONS,
    departement_for_postal_code,
    region_for_departement,
)
from causette.domain.errors import DomainError


@pytest.mark.parametrize(
    ("postal_code", "departement"),
    [("75011", "75"), ("01000", "01"), ("13001", "13"), ("59000", "59"), ("95000", "95"), ("06100", "06")],
)
def test_mainland_postal_code_maps_to_its_first_two_digits(postal_code: str, departement: str) -> None:
    assert departement_for_postal_code(postal_code) == departement


@pytest.mark.parametrize(
    ("postal_code", "departement"),
    [("20000", "2A"), ("20090", "2A"), ("20199", "2A"), ("20200", "2B"), ("20600", "2B"), ("20999", "2B")],
)
def test_corsican_postal_code_maps_to_2a_or_2b(postal_code: str, departement: str) -> None:
    assert departement_for_postal_code(postal_code) == departement


@pytest.mark.parametrize(
    ("postal_code", "departement"),
    [("97110", "971"), ("97200", "972"), ("97300", "973"), ("97400", "974"), ("97600", "976")],
)
def test_overseas_postal_code_maps_to_three_digit_departement(postal_code: str, departement: str) -> None:
    assert departement_for_postal_code(postal_code) == departement


@pytest.mark.parametrize("postal_code", ["97133", "97150"])
def test_saint_barthelemy_and_saint_martin_postal_codes_map_to_971(postal_code: str) -> None:
    assert departement_for_postal_code(postal_code) == "971"


@pytest.mark.parametrize("postal_code", ["97500", "97700", "97800", "97000", "97900"])
def test_overseas_collectivity_that_is_not_a_departement_is_refused(postal_code: str) -> None:
    with pytest.raises(DomainError) as refused:
        departement_for_postal_code(postal_code)
    assert refused.value.code == "postal_code_invalid"


@pytest.mark.parametrize("postal_code", ["00100", "96000", "98000", "98700", "98800", "99000"])
def test_postal_code_outside_french_departements_is_refused(postal_code: str) -> None:
    with pytest.raises(DomainError) as refused:
        departement_for_postal_code(postal_code)
    assert refused.value.code == "postal_code_invalid"
    assert refused.value.message


@pytest.mark.parametrize(
    "postal_code",
    ["", "7501", "750011", "75O11", "75 011", "7501a", "٧٥٠١١", "７５０１１", "+7501", "-7501"],
)
def test_postal_code_must_be_exactly_five_ascii_digits(postal_code: str) -> None:
    with pytest.raises(DomainError) as refused:
        departement_for_postal_code(postal_code)
    assert refused.value.code == "postal_code_invalid"


def test_surrounding_whitespace_around_postal_code_is_ignored() -> None:
    assert departement_for_postal_code("  69001\n") == "69"


def test_non_string_postal_code_is_refused_not_crashing() -> None:
    with pytest.raises(DomainError) as refused:
        departement_for_postal_code(75011)  # type: ignore[arg-type]
    assert refused.value.code == "postal_code_invalid"


def test_there_are_101_departements_each_with_a_name_and_a_region() -> None:
    assert len(DEPARTEMENT_NAMES) == 101
    for departement in DEPARTEMENT_NAMES:
        assert region_for_departement(departement) in REGIONS


def test_there_are_18_regions_and_each_has_departements() -> None:
    assert len(REGIONS) == 18
    covered = {region_for_departement(departement) for departement in DEPARTEMENT_NAMES}
    assert covered == set(REGIONS)


def test_every_valid_postal_prefix_maps_to_a_named_departement() -> None:
    for prefix in range(1, 96):
        code = f"{prefix:02d}100"
        assert departement_for_postal_code(code) in DEPARTEMENT_NAMES


@pytest.mark.parametrize(
    ("departement", "region"),
    [
        ("75", "ile-de-france"),
        ("69", "auvergne-rhone-alpes"),
        ("2A", "corse"),
        ("2B", "corse"),
        ("29", "bretagne"),
        ("13", "provence-alpes-cote-d-azur"),
        ("974", "la-reunion"),
        ("976", "mayotte"),
        ("90", "bourgogne-franche-comte"),
        ("67", "grand-est"),
    ],
)
def test_departement_belongs_to_its_region(departement: str, region: str) -> None:
    assert region_for_departement(departement) == region


def test_lowercase_corsican_departement_is_accepted() -> None:
    assert region_for_departement("2a") == "corse"


@pytest.mark.parametrize("departement", ["20", "96", "975", "00", "", "99"])
def test_unknown_departement_has_no_region(departement: str) -> None:
    with pytest.raises(DomainError) as refused:
        region_for_departement(departement)
    assert refused.value.code == "postal_code_invalid"


def test_departement_names_are_the_official_ones() -> None:
    assert DEPARTEMENT_NAMES["75"] == "Paris"
    assert DEPARTEMENT_NAMES["2A"] == "Corse-du-Sud"
    assert DEPARTEMENT_NAMES["974"] == "La Réunion"
    assert REGIONS["ile-de-france"] == "Île-de-France"
