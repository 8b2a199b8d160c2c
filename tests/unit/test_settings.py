"""The one settings object: defaults < TOML file < CAUSETTE_* environment < explicit overrides."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from causette.settings import POSITIVE_FIELDS, Settings, SettingsError, load_settings

EXAMPLE = Path(__file__).parents[2] / "causette.example.toml"
DEFAULTS = Settings()
FIELDS = {f.name for f in dataclasses.fields(Settings)}


def write(tmp_path: Path, text: str, name: str = "causette.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- defaults --------------------------------------------------------------------------------------


def test_no_file_no_environment_gives_the_defaults() -> None:
    assert load_settings(environ={}) == Settings()


def test_defaults_are_those_documented_in_the_protocol() -> None:
    s = Settings()
    assert (s.host, s.port, s.ws_port) == ("127.0.0.1", 8000, 0)
    assert s.min_age == 18
    assert s.max_message_chars == 2000
    assert s.max_frame_bytes == 65_536
    assert s.max_bad_frames_per_minute == 10
    assert (s.frame_rate, s.frame_burst) == (10.0, 30)
    assert s.history_size == 50
    assert s.max_open_requests == 5
    assert s.private_room_cap == 20
    assert s.pseudonym_grace_seconds == 600
    assert s.session_ttl_seconds == 86_400
    assert s.entry_rate_per_minute == 30
    assert s.presence_interval_ms == 1000
    assert s.rate_limits_on


def test_default_settings_pass_their_own_check() -> None:
    Settings().check()


def test_list_default_is_not_shared_between_instances() -> None:
    a, b = Settings(), Settings()
    a.allowed_origins.append("https://x.example")
    assert b.allowed_origins == []


def test_ambient_process_environment_is_used_when_none_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("CAUSETTE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CAUSETTE_HISTORY_SIZE", "12")
    assert load_settings().history_size == 12


# --- the file ------------------------------------------------------------------------------------


def test_file_overrides_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, 'port = 9000\nhost = "0.0.0.0"\n')
    s = load_settings(path, environ={})
    assert (s.port, s.host) == (9000, "0.0.0.0")
    assert s.min_age == DEFAULTS.min_age


def test_file_sections_are_flattened(tmp_path: Path) -> None:
    path = write(
        tmp_path, "[network]\nport = 9100\n[messages]\nhistory_size = 20\n[whatever]\nmin_age = 21\n"
    )
    s = load_settings(path, environ={})
    assert (s.port, s.history_size, s.min_age) == (9100, 20, 21)


def test_key_may_be_written_in_any_section(tmp_path: Path) -> None:
    path = write(tmp_path, "[logging]\nport = 9200\n")
    assert load_settings(path, environ={}).port == 9200


def test_file_from_causette_config_environment_variable_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "history_size = 7\n")
    assert load_settings(environ={"CAUSETTE_CONFIG": path}).history_size == 7


def test_explicit_config_file_wins_over_causette_config(tmp_path: Path) -> None:
    explicit = write(tmp_path, "history_size = 7\n", "a.toml")
    other = write(tmp_path, "history_size = 8\n", "b.toml")
    assert load_settings(explicit, environ={"CAUSETTE_CONFIG": other}).history_size == 7


def test_file_list_value_is_kept_as_strings(tmp_path: Path) -> None:
    path = write(tmp_path, 'allowed_origins = ["https://a.example", "https://b.example"]\n')
    assert load_settings(path, environ={}).allowed_origins == ["https://a.example", "https://b.example"]


def test_file_integer_is_taken_for_a_float_setting(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, "frame_rate = 4\n"), environ={})
    assert s.frame_rate == 4.0
    assert isinstance(s.frame_rate, float)


def test_unknown_key_in_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="max_mesage_chars"):
        load_settings(write(tmp_path, "max_mesage_chars = 100\n"), environ={})


def test_unknown_key_in_a_section_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="unknown setting"):
        load_settings(write(tmp_path, "[network]\nprot = 80\n"), environ={})


def test_nested_table_is_not_taken_for_a_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError):
        load_settings(write(tmp_path, "[network.sub]\nport = 80\n"), environ={})


def test_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read config file"):
        load_settings(write(tmp_path, "port = = 3\n"), environ={})


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read config file"):
        load_settings(str(tmp_path / "absent.toml"), environ={})


def test_directory_given_as_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError):
        load_settings(str(tmp_path), environ={})


def test_file_that_is_not_utf8_is_refused_with_settings_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('host = "café"\n'.encode("latin-1"))
    with pytest.raises(SettingsError):
        load_settings(str(path), environ={})


@pytest.mark.parametrize(("key", "value"), [("port", '"http"'), ("port", "[1]"), ("frame_rate", '"vite"')])
def test_file_value_of_wrong_type_is_refused(tmp_path: Path, key: str, value: str) -> None:
    with pytest.raises(SettingsError, match=key):
        load_settings(write(tmp_path, f"{key} = {value}\n"), environ={})


@pytest.mark.parametrize("value", ["8000.9", "true"])
def test_file_value_that_is_not_a_whole_number_is_refused_for_an_integer_setting(
    tmp_path: Path, value: str
) -> None:
    with pytest.raises(SettingsError, match="port"):
        load_settings(write(tmp_path, f"port = {value}\n"), environ={})


# --- the environment ----------------------------------------------------------------------------------


def test_environment_overrides_defaults() -> None:
    env = {"CAUSETTE_PORT": "9300", "CAUSETTE_HOST": "::1", "CAUSETTE_FRAME_RATE": "2.5"}
    s = load_settings(environ=env)
    assert (s.port, s.host, s.frame_rate) == (9300, "::1", 2.5)


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, "port = 9000\nhistory_size = 20\n")
    s = load_settings(path, environ={"CAUSETTE_PORT": "9400"})
    assert (s.port, s.history_size) == (9400, 20)


def test_empty_environment_variable_is_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, "port = 9000\n")
    assert load_settings(path, environ={"CAUSETTE_PORT": ""}).port == 9000


def test_environment_variables_without_prefix_or_in_lowercase_are_ignored() -> None:
    s = load_settings(environ={"PORT": "1", "causette_port": "2", "CAUSETTE_port": "3"})
    assert s.port == DEFAULTS.port


def test_environment_list_is_split_on_commas_and_trimmed() -> None:
    s = load_settings(environ={"CAUSETTE_ALLOWED_ORIGINS": " https://a.example , ,https://b.example,"})
    assert s.allowed_origins == ["https://a.example", "https://b.example"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CAUSETTE_PORT", "abc"),
        ("CAUSETTE_PORT", "80.5"),
        ("CAUSETTE_HISTORY_SIZE", "ten"),
        ("CAUSETTE_FRAME_RATE", "fast"),
    ],
)
def test_bad_number_in_environment_is_refused(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name.removeprefix("CAUSETTE_").lower()):
        load_settings(environ={name: value})


# --- explicit overrides (CLI flags) -----------------------------------------------------------------


def test_overrides_win_over_environment_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, "port = 9000\n")
    s = load_settings(path, overrides={"port": 9500}, environ={"CAUSETTE_PORT": "9400"})
    assert s.port == 9500


def test_override_of_none_leaves_the_lower_layers() -> None:
    s = load_settings(overrides={"port": None}, environ={"CAUSETTE_PORT": "9400"})
    assert s.port == 9400


def test_override_given_as_string_is_coerced() -> None:
    assert load_settings(overrides={"port": "9600"}, environ={}).port == 9600


def test_unknown_override_is_refused_with_settings_error() -> None:
    with pytest.raises(SettingsError):
        load_settings(overrides={"prot": 80}, environ={})


# --- derived values and checks ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["off", "OFF", "Off", "false", "0", "no"])
def test_rate_limits_off_lifts_the_limits(value: str) -> None:
    assert load_settings(environ={"CAUSETTE_RATE_LIMITS": value}).rate_limits_on is False


@pytest.mark.parametrize("value", ["on", "ON", "true", "1", "yes"])
def test_rate_limits_on_keeps_the_limits(value: str) -> None:
    assert load_settings(environ={"CAUSETTE_RATE_LIMITS": value}).rate_limits_on is True


def test_misspelled_rate_limits_value_keeps_the_limits() -> None:
    # Failing safe: only an explicit "off" lifts the limits.
    assert Settings(rate_limits="of").rate_limits_on is True


def test_websocket_port_defaults_to_the_http_port_plus_one() -> None:
    assert Settings().effective_ws_port == 8001
    assert Settings(port=9000).effective_ws_port == 9001
    assert load_settings(environ={"CAUSETTE_PORT": "7000"}).effective_ws_port == 7001


def test_explicit_websocket_port_is_kept() -> None:
    assert Settings(port=9000, ws_port=9999).effective_ws_port == 9999


def test_database_url_defaults_to_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    url = Settings(data_dir=str(tmp_path / "data")).effective_database_url
    assert url == f"sqlite:///{(tmp_path / 'data').resolve()}/causette.db"


def test_relative_data_dir_gives_an_absolute_sqlite_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = Settings(data_dir="./var").effective_database_url
    assert url == f"sqlite:///{tmp_path.resolve()}/var/causette.db"
    assert Path(url.removeprefix("sqlite:///")).is_absolute()


def test_explicit_database_url_is_kept() -> None:
    url = "postgresql://causette@db:5432/causette"
    assert Settings(database_url=url).effective_database_url == url


@pytest.mark.parametrize("age", [12, 0, -1])
def test_min_age_below_13_is_refused(age: int) -> None:
    with pytest.raises(SettingsError, match="min_age"):
        load_settings(environ={"CAUSETTE_MIN_AGE": str(age)})


def test_min_age_of_13_is_allowed() -> None:
    assert load_settings(environ={"CAUSETTE_MIN_AGE": "13"}).min_age == 13


@pytest.mark.parametrize(("port", "ws_port"), [(0, 0), (65536, 0), (-1, 0), (8000, 65536), (8000, -1)])
def test_port_outside_tcp_range_is_refused(port: int, ws_port: int) -> None:
    with pytest.raises(SettingsError, match="port"):
        Settings(port=port, ws_port=ws_port).check()


@pytest.mark.parametrize("name", POSITIVE_FIELDS)
@pytest.mark.parametrize("value", [0, -5])
def test_bound_that_is_not_positive_is_refused(name: str, value: int) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(environ={"CAUSETTE_" + name.upper(): str(value)})


@pytest.mark.parametrize("mode", ["FULL", "NORMAL", "EXTRA", "full", "normal"])
def test_known_sqlite_synchronous_mode_is_accepted(mode: str) -> None:
    Settings(sqlite_synchronous=mode).check()


@pytest.mark.parametrize("mode", ["OFF", "", "fast"])
def test_unknown_sqlite_synchronous_mode_is_refused(mode: str) -> None:
    with pytest.raises(SettingsError, match="sqlite_synchronous"):
        Settings(sqlite_synchronous=mode).check()


# --- the example file is the reference ---------------------------------------------------------------


def example_keys() -> dict[str, Any]:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    flat: dict[str, Any] = {}
    for section, values in data.items():
        assert isinstance(values, dict), f"top-level key {section!r} outside a section"
        for key, value in values.items():
            assert key not in flat, f"{key!r} set twice in the example"
            flat[key] = value
    return flat


def test_example_config_loads() -> None:
    assert load_settings(str(EXAMPLE), environ={}) == Settings()


def test_example_config_sets_every_key_to_its_default() -> None:
    for key, value in example_keys().items():
        default = getattr(DEFAULTS, key)
        assert value == default, f"{key}: example says {value!r}, default is {default!r}"
        assert type(value) is type(default), f"{key}: example type differs from the default"


def test_every_setting_appears_in_the_example_config() -> None:
    assert set(example_keys()) == FIELDS


def test_trusted_flaggers_must_be_names_with_a_sha256() -> None:
    Settings(trusted_flaggers=["asso:" + "ab" * 32]).check()
    for bad in ("asso", "asso:1234", ":" + "ab" * 32, "asso:" + "zz" * 32):
        with pytest.raises(SettingsError, match="trusted_flaggers"):
            Settings(trusted_flaggers=[bad]).check()


def test_the_safety_engine_can_be_turned_off_only_in_a_load_test_configuration() -> None:
    with pytest.raises(SettingsError, match="load tests only"):
        load_settings(environ={"CAUSETTE_SAFETY": "off"})
    s = load_settings(environ={"CAUSETTE_SAFETY": "off", "CAUSETTE_RATE_LIMITS": "off"})
    assert not s.safety_on and not s.rate_limits_on
    assert Settings().safety_on
