"""The newsletter map: sections, titles and the one reader of NEWSLETTER_MAP_FILE."""

from __future__ import annotations

import pytest

from gate.config import ConfigError
from gate.newsletter.sections import (
    DEFAULT_MAP_FILE,
    NewsletterMapError,
    audience,
    current_map,
    current_slugs,
    is_newsletter_audience,
    load_map,
    parse_map,
    section_slugs,
)
from tests.newsletter.helpers import MAP, PAY, STORE


def test_default_map_has_the_design_sections():
    assert section_slugs(MAP) == ["store-setup", "payments"]
    assert MAP.sections_for([STORE], []) == {"store-setup"}
    assert MAP.sections_for([f"  online sales faq:   {PAY[17:].upper()} "], []) == {"payments"}
    assert MAP.sections_for(["Monthly Specials"], [PAY]) == frozenset()  # a list, not a tag
    assert audience("payments") == "newsletter:payments"
    assert is_newsletter_audience("newsletter:x") and not is_newsletter_audience("clients")


@pytest.mark.parametrize(
    ("text", "slugs"),
    (
        ('[[section]]\nslug = "vip"\ntags = ["VIP"]\n', ["vip"]),
        ('[[section]]\nslug = "a-1"\ntitle = "A"\nlists = ["L"]\n'
         '[[section]]\nslug = "b"\nlists = ["L"]\n', ["a-1", "b"]),
    ),
)
def test_map_parses(text, slugs):
    parsed = parse_map(text)
    assert section_slugs(parsed) == slugs
    assert parsed.section(slugs[0]) is not None and parsed.section("nope") is None


def test_one_title_may_open_several_sections():
    parsed = parse_map('[[section]]\nslug = "a"\nlists = ["All"]\n'
                       '[[section]]\nslug = "b"\nlists = ["All", "B"]\n')
    assert parsed.sections_for(["all"], []) == {"a", "b"}


@pytest.mark.parametrize(
    ("text", "message"),
    (
        ("", "at least one [[section]]"),
        ("section = 3", "at least one [[section]]"),
        ("[[section]\n", "not valid TOML"),
        ('x = 1\n[[section]]\nslug = "a"\nlists = ["L"]\n', "unknown top-level key"),
        ('[[section]]\nslug = "A b"\nlists = ["L"]\n', "slug 'A b'"),
        ('[[section]]\nslug = "a--b"\nlists = ["L"]\n', "slug 'a--b'"),
        ('[[section]]\nlists = ["L"]\n', "slug None"),
        ('[[section]]\nslug = "a"\n', "at least one FluentCRM list or tag"),
        ('[[section]]\nslug = "a"\nlists = "L"\n', "must be a list"),
        ('[[section]]\nslug = "a"\nlists = ["L", " l "]\n', "twice"),
        ('[[section]]\nslug = "a"\nlists = [""]\n', "non-empty"),
        ('[[section]]\nslug = "a"\nlists = [3]\n', "non-empty"),
        ('[[section]]\nslug = "a"\ntitle = ""\nlists = ["L"]\n', "title"),
        ('[[section]]\nslug = "a"\nlist = ["L"]\n', "unknown key(s): list"),
        ('[[section]]\nslug = "a"\nlists = ["L"]\n[[section]]\nslug = "a"\ntags = ["T"]\n',
         "used twice: a"),
    ),
)
def test_bad_maps_are_refused(text, message):
    with pytest.raises(NewsletterMapError) as caught:
        parse_map(text)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    (
        (None, {"store-setup", "payments"}),  # unset: the map shipped in gate/newsletter/
        ('[[section]]\nslug = "tax"\nlists = ["Tax news"]\n', {"tax"}),
        ("not toml [", "not valid TOML"),
        ('[[section]]\nslug = "tax"\n', "at least one FluentCRM list or tag"),
        (b"\xff\xfe\x00", "cannot be read"),
    ),
)
def test_load_map_reads_the_configured_file(tmp_path, content, expected):
    path = tmp_path / "map.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    config = {"NEWSLETTER_MAP_FILE": str(path) if content is not None else ""}
    if isinstance(expected, str):
        with pytest.raises(ConfigError, match=expected) as caught:
            load_map(config)
        assert "NEWSLETTER_MAP_FILE=" in str(caught.value) and "\n" not in str(caught.value)
    else:
        assert set(section_slugs(load_map(config))) == expected


@pytest.mark.parametrize(
    ("content", "message"),
    (
        ('[[section]]\nslug = "Bad Slug"\nlists = ["x"]\n', "slug 'Bad Slug'"),
        (None, "cannot be read"),
    ),
)
def test_a_bad_map_file_stops_the_app_from_starting(app_config, tmp_path, content, message):
    from gate import create_app

    path = tmp_path / "map.toml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match="NEWSLETTER_MAP_FILE") as caught:
        create_app({**app_config, "NEWSLETTER_MAP_FILE": str(path)})
    assert message in str(caught.value)


def test_the_running_app_keeps_the_map_it_started_with(app_config, tmp_path):
    from gate import create_app

    path = tmp_path / "map.toml"
    path.write_text('[[section]]\nslug = "tax"\nlists = ["Tax news"]\n', encoding="utf-8")
    app = create_app({**app_config, "NEWSLETTER_MAP_FILE": str(path)})
    path.write_text('[[section]]\nslug = "other"\nlists = ["Other"]\n', encoding="utf-8")
    assert current_slugs(app) == {"tax"}
    with app.app_context():
        assert current_map().section("tax") is not None


def test_the_default_map_ships_inside_the_package():
    assert DEFAULT_MAP_FILE.parent.name == "newsletter"
    assert DEFAULT_MAP_FILE.parent.parent.name == "gate"
