"""The operator's room catalogue: the packaged default and the refusal of bad files."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from causette.chat.catalogue import CatalogueError, load_catalogue
from causette.domain.departements import REGIONS
from causette.domain.models import Room, RoomKind

ROOM = '[[room]]\nid = "{id}"\nname = "{name}"\nkind = "{kind}"\n'


@pytest.fixture(scope="module")
def default() -> list[Room]:
    return load_catalogue()


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "rooms.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def room(id: str = "general", name: str = "Général", kind: str = "theme", extra: str = "") -> str:
    return ROOM.format(id=id, name=name, kind=kind) + extra


# --- the packaged default ----------------------------------------------------------------------------


def test_default_catalogue_has_theme_region_and_age_rooms(default: list[Room]) -> None:
    kinds = Counter(r.kind for r in default)
    assert kinds[RoomKind.THEME] >= 1
    assert kinds[RoomKind.REGION] >= 1
    assert kinds[RoomKind.AGE] >= 1
    assert kinds[RoomKind.PRIVATE] == 0


def test_default_catalogue_ids_are_unique(default: list[Room]) -> None:
    ids = [r.id for r in default]
    assert len(ids) == len(set(ids))


def test_default_catalogue_ids_are_stable_lowercase_slugs_outside_reserved_prefixes(
    default: list[Room],
) -> None:
    for r in default:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", r.id), r.id
        assert not r.id.startswith(("pm-", "r-")), r.id
        assert r.id != "presence"
        assert ":" not in r.id


def test_default_catalogue_has_one_room_per_region(default: list[Room]) -> None:
    regions = [r.region for r in default if r.kind is RoomKind.REGION]
    assert len(REGIONS) == 18
    assert sorted(regions) == sorted(REGIONS)  # type: ignore[type-var]


def test_default_region_rooms_use_valid_slugs_and_the_official_names(default: list[Room]) -> None:
    for r in default:
        if r.kind is RoomKind.REGION:
            assert r.region in REGIONS
            assert r.name == REGIONS[r.region]
            assert r.id == f"region-{r.region}"


def test_only_region_rooms_name_a_region(default: list[Room]) -> None:
    assert all((r.region is not None) == (r.kind is RoomKind.REGION) for r in default)


def test_default_age_rooms_have_adult_bands(default: list[Room]) -> None:
    bands = [r for r in default if r.kind is RoomKind.AGE]
    for r in bands:
        assert r.min_age is not None and r.min_age >= 18
        assert r.max_age is None or r.max_age >= r.min_age
    # Every adult age has at least one age room.
    for age in range(18, 121):
        assert any(r.admits_age(age) for r in bands), age


def test_only_age_rooms_have_an_age_band(default: list[Room]) -> None:
    for r in default:
        if r.kind is not RoomKind.AGE:
            assert r.min_age is None and r.max_age is None
            assert r.admits_age(18) and r.admits_age(120)


def test_default_rooms_have_a_name_and_a_topic(default: list[Room]) -> None:
    for r in default:
        assert r.name.strip()
        assert r.topic.strip()


def test_default_catalogue_starts_with_the_general_room(default: list[Room]) -> None:
    assert default[0].id == "general"


def test_default_catalogue_is_the_same_from_an_explicit_empty_path(default: list[Room]) -> None:
    assert load_catalogue("") == default


def test_default_rooms_file_round_trips_through_a_path(default: list[Room], tmp_path: Path) -> None:
    from importlib import resources

    text = resources.files("causette.chat").joinpath("default_rooms.toml").read_text(encoding="utf-8")
    assert load_catalogue(write(tmp_path, text)) == default


# --- an operator's file --------------------------------------------------------------------------------


def test_operator_file_replaces_the_default(tmp_path: Path) -> None:
    text = (
        room("general")
        + 'topic = "Tout"\n'
        + room("region-bretagne", "Bretagne", "region", 'region = "bretagne"\n')
        + room("ages-30", "30+", "age", "min_age = 30\n")
    )
    rooms = load_catalogue(write(tmp_path, text))
    assert [r.id for r in rooms] == ["general", "region-bretagne", "ages-30"]
    assert rooms[0].topic == "Tout"
    assert rooms[1].region == "bretagne"
    assert (rooms[2].min_age, rooms[2].max_age) == (30, None)


def test_topic_defaults_to_empty(tmp_path: Path) -> None:
    assert load_catalogue(write(tmp_path, room()))[0].topic == ""


def test_duplicate_room_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="twice"):
        load_catalogue(write(tmp_path, room("general") + room("general", "Autre")))


def test_private_room_in_the_catalogue_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="private"):
        load_catalogue(write(tmp_path, room("secret", kind="private")))


@pytest.mark.parametrize(
    "bad_id",
    ["pm-x", "pm-abcdef", "r-abc", "General", "a", "-general", "gén", "a b", "a_b", "a:b", "x" * 64, ""],
)
def test_bad_room_id_is_refused(tmp_path: Path, bad_id: str) -> None:
    with pytest.raises(CatalogueError):
        load_catalogue(write(tmp_path, room(bad_id)))


@pytest.mark.parametrize("good_id", ["ab", "0-9", "a" * 63, "region-ile-de-france"])
def test_room_id_of_2_to_63_slug_characters_is_accepted(tmp_path: Path, good_id: str) -> None:
    assert load_catalogue(write(tmp_path, room(good_id)))[0].id == good_id


@pytest.mark.parametrize("kind", ["", "Theme", "salon", "THEME"])
def test_unknown_room_kind_is_refused(tmp_path: Path, kind: str) -> None:
    with pytest.raises(CatalogueError):
        load_catalogue(write(tmp_path, room(kind=kind)))


@pytest.mark.parametrize("missing", ["id", "name", "kind"])
def test_room_missing_a_required_key_is_refused(tmp_path: Path, missing: str) -> None:
    lines = [line for line in room().splitlines() if not line.startswith(missing + " ")]
    with pytest.raises(CatalogueError):
        load_catalogue(write(tmp_path, "\n".join(lines) + "\n"))


@pytest.mark.parametrize("text", ["", "# nothing\n", "[other]\nx = 1\n", "room = []\n"])
def test_empty_catalogue_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(CatalogueError, match="empty"):
        load_catalogue(write(tmp_path, text))


def test_missing_rooms_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(str(tmp_path / "absent.toml"))


def test_directory_given_as_rooms_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(str(tmp_path))


def test_rooms_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(write(tmp_path, "[[room]\nid = general\n"))


def test_rooms_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rooms.toml"
    path.write_bytes(room(name="Général").encode("latin-1"))
    with pytest.raises(CatalogueError):
        load_catalogue(str(path))


@pytest.mark.parametrize(
    "text", ['[room]\nid = "general"\nname = "G"\nkind = "theme"\n', 'room = "general"\n', "room = [1]\n"]
)
def test_room_entry_that_is_not_a_table_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(CatalogueError):
        load_catalogue(write(tmp_path, text))


def test_room_id_that_is_a_bus_channel_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError):
        load_catalogue(write(tmp_path, room("presence")))


@pytest.mark.parametrize("extra", ['region = "atlantis"\n', ""])
def test_region_room_without_a_known_region_is_refused(tmp_path: Path, extra: str) -> None:
    with pytest.raises(CatalogueError):
        load_catalogue(write(tmp_path, room("region-x", "X", "region", extra)))


@pytest.mark.parametrize("extra", ["", 'min_age = "18"\n', "min_age = 40\nmax_age = 30\n"])
def test_age_room_without_a_valid_band_is_refused(tmp_path: Path, extra: str) -> None:
    with pytest.raises(CatalogueError):
        load_catalogue(write(tmp_path, room("ages-x", "X", "age", extra)))
