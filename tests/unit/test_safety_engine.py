"""The mechanics of the safety engine — lexicon compiler, rules and context, policy, evaluation,
the optional model — on small lexicons written here, independent of the packaged ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from causette.safety.classifier import Classifier, ClassifierError
from causette.safety.engine import Context, Recent, SafetyEngine, _phone_number
from causette.safety.evaluation import evaluate
from causette.safety.lexicon import LexiconError, compile_lexicon, required_literals
from causette.safety.normalise import normalise
from causette.safety.policy import Action, PolicyError, load_policy, parse_policy

TOY = """
label = "toy"
[groups]
fruit = ["pomme", "poire*"]
sell = ["vends"]
benign = ["tarte"]
probe = ["quel age"]
secret = ["secret"]
[patterns]
price = ' [0-9]+ ?e '
[[rules]]
when = ["fruit", "sell"]
unless = ["benign"]
severity = "medium"
reason = "Vente de fruits."
[[rules]]
when = ["price"]
channel = "pm"
severity = "low"
reason = "Prix en privé."
[[rules]]
when = ["secret"]
recipient_minor = true
severity = "high"
reason = "Secret avec un mineur."
[[rules]]
when = ["secret"]
recent = ["probe"]
severity = "high"
reason = "Secret après une question d'âge."
[[rules]]
repeated = true
severity = "low"
reason = "Répétition."
[[rules]]
min_first_contacts = 3
channel = "request"
severity = "medium"
reason = "Trop de premiers contacts."
"""

POLICY = """
[labels.toy]
action = "hold"
case = true
minor_action = "block"
notify_recipient = "safety_toy"
[labels.toy.severity]
low = "warn"
"""


@pytest.fixture(scope="module")
def engine() -> SafetyEngine:
    return SafetyEngine(compile_lexicon([("toy.toml", TOY)]), parse_policy(POLICY))


def test_terms_match_whole_words_after_normalisation(engine: SafetyEngine) -> None:
    assert engine.check("Je VENDS des P0MMES").labels == ()  # "pommes" is not the word "pomme"
    decision = engine.check("je vends une pomme")
    assert decision.labels == ("toy",)
    assert decision.action is Action.HOLD
    assert decision.reasons == ("Vente de fruits.",)
    assert {e.group for e in decision.evidence} >= {"toy.fruit", "toy.sell"}


def test_a_star_term_matches_word_beginnings(engine: SafetyEngine) -> None:
    assert engine.check("je vends des poires").labels == ("toy",)


def test_an_unless_group_cancels_the_rule(engine: SafetyEngine) -> None:
    assert engine.check("je vends une tarte a la pomme").labels == ()


def test_a_rule_limited_to_a_channel_applies_only_there(engine: SafetyEngine) -> None:
    assert engine.check("15 e", Context(channel="room")).labels == ()
    decision = engine.check("15 e", Context(channel="pm"))
    assert decision.labels == ("toy",)
    assert decision.action is Action.WARN  # low severity → warn by the policy
    assert decision.effects.warn_codes == ("safety_warning_toy",)


def test_a_recipient_minor_condition_and_minor_action(engine: SafetyEngine) -> None:
    assert engine.check("c'est un secret", Context(channel="pm", recipient_age=30)).labels == ()
    decision = engine.check("c'est un secret", Context(channel="pm", recipient_apparent_minor=True))
    assert decision.labels == ("toy",)
    assert decision.action is Action.BLOCK


def test_recent_groups_of_the_same_sender_count_but_not_of_others(engine: SafetyEngine) -> None:
    mine = Context(channel="pm", recent=(Recent(True, frozenset({"toy.probe"})),))
    theirs = Context(channel="pm", recent=(Recent(False, frozenset({"toy.probe"})),))
    assert engine.check("notre secret", mine).labels == ("toy",)
    assert engine.check("notre secret", theirs).labels == ()


def test_repetition_and_mass_first_contacts_come_from_the_context(engine: SafetyEngine) -> None:
    assert engine.check("bonjour", Context(repeated=True)).labels == ("toy",)
    assert engine.check("bonjour", Context(channel="request", first_contacts=2)).labels == ()
    assert engine.check("bonjour", Context(channel="request", first_contacts=3)).labels == ("toy",)


def test_a_notice_for_the_recipient_applies_in_private_only(engine: SafetyEngine) -> None:
    pm = engine.check("je vends une pomme", Context(channel="pm"))
    room = engine.check("je vends une pomme", Context(channel="room"))
    assert pm.effects.notify_recipient == ("safety_toy",)
    assert room.effects.notify_recipient == ()


def test_a_label_without_policy_is_held_with_a_case() -> None:
    engine = SafetyEngine(compile_lexicon([("toy.toml", TOY)]), parse_policy(""))
    decision = engine.check("je vends une pomme")
    assert decision.action is Action.HOLD
    assert decision.effects.case


def test_repeat_action_raises_the_action_when_the_label_was_recent() -> None:
    policy = parse_policy('[labels.toy]\naction = "warn"\nrepeat_action = "hold"\n')
    engine = SafetyEngine(compile_lexicon([("toy.toml", TOY)]), policy)
    assert engine.check("je vends une pomme").action is Action.WARN
    again = engine.check("je vends une pomme", Context(sender_recent_labels=frozenset({"toy"})))
    assert again.action is Action.HOLD


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('[groups]\na = ["x"]', "missing `label`"),
        ('label = "t"\n[patterns]\np = "("', "bad pattern"),
        ('label = "t"\n[[rules]]\nwhen = ["nope"]', "unknown group"),
        ('label = "t"\n[groups]\na = ["x"]\n[[rules]]\nwhen = ["a"]\nfoo = 1', "unknown keys"),
        ('label = "t"\n[groups]\na = ["x"]\n[[rules]]\nwhen = ["a"]\nseverity = "huge"', "severity"),
        ('label = "t"\n[groups]\na = ["..."]', "empty once normalised"),
        ('label = "t"\n[[rules]]\nseverity = "low"', "needs `when`"),
        ('label = "t"\n[groups]\na = "x"', "must be a list"),
        ("label = ", "toy.toml"),
    ],
)
def test_a_malformed_lexicon_is_refused_with_a_precise_message(text: str, error: str) -> None:
    with pytest.raises(LexiconError, match=error):
        compile_lexicon([("toy.toml", text)])


@pytest.mark.parametrize(
    "text",
    ['[labels.x]\naction = "explode"', "[labels.x]\nfoo = 1", "labels = 3\n[", "[labels]\nx = 1"],
)
def test_a_malformed_policy_is_refused(text: str) -> None:
    with pytest.raises(PolicyError):
        parse_policy(text)


def test_an_unreadable_policy_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError):
        load_policy(str(tmp_path / "missing.toml"))


def test_the_packaged_policy_gives_every_packaged_label_an_action() -> None:
    engine = SafetyEngine.default()
    assert set(engine.lexicon.labels) <= set(engine.policy.labels)


@pytest.mark.parametrize(
    "text",
    [
        "appelle moi au 06 12 34 56 78",
        "mon num 0612345678",
        "zero six douze trente quatre cinquante six soixante dix huit",
        "+33 6 12 34 56 78",
    ],
)
def test_phone_numbers_in_digits_or_words_are_found(text: str) -> None:
    assert _phone_number(normalise(text).words) is not None


@pytest.mark.parametrize(
    "text",
    ["rdv a 18h30, ca coute 12,50", "ne en 1990 a 75011", "score 3 a 2", "il fait 14 degres", "1234 5678"],
)
def test_numbers_that_are_not_phone_numbers_are_not_taken_for_one(text: str) -> None:
    assert _phone_number(normalise(text).words) is None


def test_evaluation_counts_precision_recall_and_benign_holds(engine: SafetyEngine) -> None:
    items = [
        {"id": "1", "text": "je vends une pomme", "labels": ["toy"]},
        {"id": "2", "text": "bonjour", "labels": ["toy"]},
        {"id": "3", "text": "je vends une poire", "labels": []},
        {"id": "4", "text": "bonne nuit", "labels": []},
    ]
    report = evaluate(engine, items, ["toy"])
    score = report.labels["toy"]
    assert (score.tp, score.fp, score.fn) == (1, 1, 1)
    assert score.precision == 0.5
    assert score.recall == 0.5
    assert report.benign == 2
    assert report.benign_stopped == 1
    assert not report.targets_met
    assert "MISSED" in report.render()
    assert [m[0] for m in report.misses] == ["2", "3"]


def test_the_optional_model_trains_saves_loads_and_predicts(tmp_path: Path) -> None:
    rows = [{"text": f"je vends des pommes {i}", "labels": ["toy"]} for i in range(10)]
    rows += [{"text": f"il fait beau aujourd'hui {i}", "labels": []} for i in range(10)]
    model = Classifier.train(rows)
    path = tmp_path / "model.joblib"
    model.save(str(path))
    loaded = Classifier.load(str(path))
    assert loaded.labels == ["toy"]
    assert loaded.labels_of("je vends des pommes") == ["toy"]
    assert loaded.labels_of("il fait beau") == []


def test_a_missing_or_foreign_model_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ClassifierError):
        Classifier.load(str(tmp_path / "none.joblib"))
    import joblib

    joblib.dump({"something": "else"}, tmp_path / "other.joblib")
    with pytest.raises(ClassifierError):
        Classifier.load(str(tmp_path / "other.joblib"))


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (" tg ", {" tg "}),
        ("(?<! sur) fdp (?!ofert)", {" fdp "}),
        (" (?:vend|achete)s? ", {" vend", " achete"}),
        (" (?:ta|ton) soeur", {" ta soeur", " ton soeur"}),
        ("[❄🍃].{0,30}[0-9]+", {"❄", "🍃"}),
        (r"\d+ ?roses", {"roses"}),
        ("a|b", None),
        (".*", None),
    ],
)
def test_a_pattern_is_prefiltered_by_a_literal_it_cannot_match_without(
    pattern: str, literals: set[str] | None
) -> None:
    found = required_literals(pattern)
    assert found == literals


def test_the_prefilter_never_changes_what_the_packaged_patterns_find() -> None:
    engine = SafetyEngine.default()
    lexicon = engine.lexicon
    eval_file = Path(__file__).parents[2] / "data" / "eval" / "safety.jsonl"
    texts = [line for line in eval_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [str(json.loads(line)["text"]) for line in texts]
    for text in texts:
        norm = normalise(text)
        unfiltered = {g for g, p in lexicon.patterns if p.search(norm.words)}
        unfiltered |= {g for g, p in lexicon.plain_patterns if p.search(norm.plain)}
        found: dict[str, list[tuple[int, int]]] = {}
        engine.pattern_hits(norm, found)
        filtered = set(found)
        assert filtered == unfiltered, text


def test_recent_other_sees_only_the_other_sides_messages() -> None:
    lexicon = compile_lexicon(
        [("toy.toml", TOY + '\n[[rules]]\nwhen = ["secret"]\nrecent_other = ["fruit"]\nreason = "x"\n')]
    )
    engine = SafetyEngine(lexicon, parse_policy(POLICY))
    theirs = Context(channel="pm", recent=(Recent(False, frozenset({"toy.fruit"})),))
    mine = Context(channel="pm", recent=(Recent(True, frozenset({"toy.fruit"})),))
    assert engine.check("notre secret", theirs).labels == ("toy",)
    assert engine.check("notre secret", mine).labels == ()


def test_minor_sender_action_raises_the_action_for_a_sender_who_seems_a_minor() -> None:
    policy = parse_policy('[labels.toy]\naction = "allow"\nminor_sender_action = "hold"\n')
    engine = SafetyEngine(compile_lexicon([("toy.toml", TOY)]), policy)
    assert engine.check("je vends une pomme").action is Action.ALLOW
    minor = Context(sender_apparent_minor=True)
    assert engine.check("je vends une pomme", minor).action is Action.HOLD


def test_random_codes_in_a_message_are_not_read_as_ages_or_words() -> None:
    engine = SafetyEngine.default()
    codes = ["8f5b9f", "a56b9f", "8f7747", "b1f14f", "e72faf", "x7k2p9", "3e9a14", "12f6", "ee9f", "a17f"]
    for code in codes:
        decision = engine.check(f"bonjour tout le monde {code}", Context(channel="room", sender_age=30))
        assert decision.action < Action.HOLD, (code, decision.labels)
    # while leetspeak, times and sizes keep their meaning
    assert normalise("3sc0rt h4sh").words == " escort hash "
    assert normalise("rdv 18h30, il fait 1m80").words == " rdv 18 h 30 il fait 1 m 80 "
