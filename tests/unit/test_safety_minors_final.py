"""Final tuning of the minors and sexual-violence lexicons: the phrasing families added, each with
new variants (not copies of evaluation texts), and the hard benign cases next to them.

Test messages describe or solicit in non-graphic terms only; all data is synthetic.
"""

from __future__ import annotations

from typing import Any

import pytest

from causette.safety.engine import Context, SafetyEngine
from causette.safety.lexicon import load_labels
from causette.safety.policy import load_policy

LABELS = ("minor_sexual", "grooming", "minor_self_disclosure", "sexual_violence")

ROOM = Context(channel="room", sender_age=30)
PM = Context(channel="pm", sender_age=35, recipient_age=30)
PM_UNKNOWN = Context(channel="pm", sender_age=35)


@pytest.fixture(scope="module")
def engine() -> SafetyEngine:
    return SafetyEngine(load_labels(LABELS), load_policy())


def case(text: str, ctx: Context, label: str, name: str) -> Any:
    return pytest.param(text, ctx, label, id=name)


POSITIVE = [
    case("if she says no just keep pushing", ROOM, "sexual_violence", "en_refusal_keep_pushing"),
    case("anyone else taking the brevet too? so stressed", ROOM, "minor_self_disclosure", "en_peer_exam_too"),
    # grooming: parents kept out, more phrasings
    case(
        "envoie moi une vidéo de ta chambre, pas besoin de le dire à ton père",
        PM_UNKNOWN,
        "grooming",
        "no_need_to_tell_father",
    ),
    case("pas la peine d'en parler à tes parents, ok ?", PM_UNKNOWN, "grooming", "no_point_telling_parents"),
    case("no need to tell ur mom about our chats", PM_UNKNOWN, "grooming", "en_no_need_to_tell_mom"),
    case("on se verra tranquille loin de ta mère", PM_UNKNOWN, "grooming", "meet_away_from_mother"),
    case("we can talk in private away from your parents", PM_UNKNOWN, "grooming", "en_away_from_parents"),
    case("any girls 13 14 here? pm me i wont tell ur parents", ROOM, "grooming", "en_wont_tell_parents"),
    case("je dirai jamais rien à tes parents promis", PM_UNKNOWN, "grooming", "fr_promise_not_tell"),
    case(
        "dis à ta mère que tu dors chez ta copine samedi", PM_UNKNOWN, "grooming", "fr_cover_story_sleepover"
    ),
    case("text your mom you're staying at a friend's tonight", PM_UNKNOWN, "grooming", "en_cover_story"),
    # grooming: taste for younger people with another sign; doubted adult age; pupil said earlier
    case("i prefer younger ones tbh, add me on snap", PM_UNKNOWN, "grooming", "en_prefer_younger_snap"),
    case(
        "j'adore discuter avec les plus jeunes, viens sur insta",
        PM_UNKNOWN,
        "grooming",
        "fr_likes_younger_move_app",
    ),
    case("you look under 18 haha, it's fine, our secret", PM_UNKNOWN, "grooming", "en_look_under_18_secret"),
    case("tu m'as dit que t'étais en 4e, t'as snap ?", PM_UNKNOWN, "grooming", "fr_said_pupil_then_snap"),
    # minor_self_disclosure
    case(
        "mon prof de maths de 4e nous a encore donné un dm",
        ROOM,
        "minor_self_disclosure",
        "fr_my_teacher_of_grade",
    ),
    case("ma dictée de 6e était trop dure", ROOM, "minor_self_disclosure", "fr_my_dictation_6e"),
    case("quelqu'un révise le brevet blanc aussi ?", ROOM, "minor_self_disclosure", "fr_peer_exam_too"),
    case("im 1 3 btw", ROOM, "minor_self_disclosure", "en_spaced_digits_age"),
    case("g 1 5 ans", ROOM, "minor_self_disclosure", "fr_spaced_digits_age"),
    # minor_sexual
    case(
        "qui a des vidéos de collégiennes ? pas du légal", ROOM, "minor_sexual", "fr_not_legal_minor_content"
    ),
    case("swap pics of young teens for mine", ROOM, "minor_sexual", "en_swap_for_mine"),
    case("selling t33ns pics, dm", ROOM, "minor_sexual", "en_leet_teen_trade"),
    case("mon fantasme c'est une mineure, qui connaît quelqu'un", ROOM, "minor_sexual", "fr_fantasy_minor"),
    # sexual_violence
    case("quand une meuf dit non ça veut dire peut-être", ROOM, "sexual_violence", "fr_no_means_maybe"),
    case("her no meant yes, everyone knows", ROOM, "sexual_violence", "en_no_meant_yes"),
    case(
        "si elle refuse, insiste un peu elle finira par dire oui", ROOM, "sexual_violence", "fr_refusal_push"
    ),
    case(
        "un cachet et je vais la rendre docile, elle s'en souviendra plus",
        ROOM,
        "sexual_violence",
        "fr_make_docile_drug",
    ),
    case("où trouver du rohypnol ? je paye", ROOM, "sexual_violence", "fr_seek_rape_drug"),
    case("anyone got roofies? need some for saturday", ROOM, "sexual_violence", "en_seek_rape_drug"),
    case("tu peux plus dire non maintenant que t'es là", PM, "sexual_violence", "fr_no_refusal_now_here"),
    case("you came over, you don't get to say no", PM, "sexual_violence", "en_no_refusal_came_over"),
    case("je vais balancer ses nudes sur tous les groupes", ROOM, "sexual_violence", "fr_revenge_leak"),
    case("gonna leak her nudes to the whole school", ROOM, "sexual_violence", "en_revenge_leak"),
]

BENIGN = [
    case(
        "j'aime bien les jeunes artistes, viens sur insta voir mes toiles",
        ROOM,
        "grooming",
        "likes_young_artists",
    ),
    case("i like younger guys, add me on snap", PM, "grooming", "adult_likes_younger_guys"),
    case("si elle dit non au resto, insiste un peu", ROOM, "sexual_violence", "refusal_of_a_restaurant"),
    case(
        "je cherche un cadeau pour un ado de 15 ans, des idées ?", ROOM, "grooming", "gift_for_teen_relative"
    ),
    case("quel cadeau pour une fille de 13 ans pour noël ?", ROOM, "grooming", "christmas_gift_teen"),
    case(
        "pas besoin d'en parler à ta mère, c'est une surprise pour son anniversaire",
        PM,
        "grooming",
        "surprise_for_mother",
    ),
    case("tu vis loin de tes parents depuis tes études ?", PM, "grooming", "adult_lives_far_from_parents"),
    case("dis à ta mère que tu vas bien, elle s'inquiète", PM, "grooming", "tell_mother_you_are_fine"),
    case("j'aime bien les jeunes talents de la musique", ROOM, "grooming", "likes_young_talents"),
    case("je suis prof de 5e, ma classe de 5e est adorable", ROOM, "minor_self_disclosure", "teacher_of_5e"),
    case(
        "quand j'étais au collège mon prof de 3e était génial",
        ROOM,
        "minor_self_disclosure",
        "adult_remembers_school",
    ),
    case(
        "mon fils passe le brevet, qui passe le brevet aussi chez vous ?",
        ROOM,
        "minor_self_disclosure",
        "parent_asks_about_brevet",
    ),
    case("j'ai 1 4 d'heure de retard", ROOM, "minor_self_disclosure", "quarter_hour"),
    case("j'échange mes photos de vacances contre les tiennes", ROOM, "minor_sexual", "holiday_photo_swap"),
    case(
        "c'est illégal de partager des photos d'enfants sans accord, signalez",
        ROOM,
        "minor_sexual",
        "prevention_child_photos",
    ),
    case("un non ne veut pas dire oui, jamais", ROOM, "sexual_violence", "consent_message"),
    case("si elle dit non, faut pas insister", ROOM, "sexual_violence", "respect_refusal"),
    case("comment rendre docile mon chien avant le vétérinaire ?", ROOM, "sexual_violence", "docile_dog"),
    case(
        "la drogue du violeur c'est quoi ? fais gaffe à ton verre",
        ROOM,
        "sexual_violence",
        "rape_drug_prevention",
    ),
    case("tu peux pas dire non à une crêpe", PM, "sexual_violence", "cannot_refuse_a_crepe"),
    case(
        "il m'a dit qu'il allait publier mes photos intimes, je fais quoi ?",
        PM,
        "sexual_violence",
        "victim_asks_help",
    ),
]


@pytest.mark.parametrize(("text", "ctx", "label"), POSITIVE)
def test_family_is_detected(engine: SafetyEngine, text: str, ctx: Context, label: str) -> None:
    assert label in engine.check(text, ctx).labels


@pytest.mark.parametrize(("text", "ctx", "label"), BENIGN)
def test_hard_benign_passes(engine: SafetyEngine, text: str, ctx: Context, label: str) -> None:
    assert label not in engine.check(text, ctx).labels
