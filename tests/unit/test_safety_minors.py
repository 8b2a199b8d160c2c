"""The minor-protection lexicons: minor_sexual, grooming, minor_self_disclosure, sexual_violence.

Every case is synthetic and non-graphic: red-flag phrases as a moderator meets them, written in
chat spelling (no accents, sms abbreviations) in French and English. Each label has positive cases
(the label must be given) and hard benign cases (look-alikes that must NOT get the label: durations,
parents, teachers, news, prevention, victims asking for help, adults among themselves).

The engine is built from these four lexicon files only: their labels do not depend on the other
lexicons, and their own tests cover those.
"""

from __future__ import annotations

import timeit
from typing import Any

import pytest

from causette.safety.engine import Context, Recent, SafetyEngine
from causette.safety.lexicon import load_labels
from causette.safety.policy import Action, load_policy

FILES = ("minor_sexual.toml", "grooming.toml", "minor_self_disclosure.toml", "sexual_violence.toml")

# Contexts. Ages are the declared ones; a recipient under 18 is a (declared or apparent) minor.
ROOM = Context(channel="room", sender_age=30)
PM = Context(channel="pm", sender_age=35, recipient_age=30)  # between adults
PM_UNKNOWN = Context(channel="pm", sender_age=35)  # recipient's age not known
TO_MINOR = Context(channel="pm", sender_age=35, recipient_age=14)
TO_APPARENT_MINOR = Context(channel="request", sender_age=40, recipient_apparent_minor=True)
NAME = Context(channel="name")


def after(ctx: Context, *groups: str, mine: bool = True) -> Context:
    """The same context after an earlier message of the conversation that hit `groups`."""
    return Context(
        channel=ctx.channel,
        sender_age=ctx.sender_age,
        recipient_age=ctx.recipient_age,
        recent=(Recent(from_sender=mine, groups=frozenset(groups)),),
    )


@pytest.fixture(scope="module")
def engine() -> SafetyEngine:
    return SafetyEngine(load_labels(name.removesuffix(".toml") for name in FILES), load_policy())


def case(text: str, ctx: Context, name: str) -> Any:
    """One parametrised case; its id names the behaviour."""
    return pytest.param(text, ctx, id=name)


# --- minor_self_disclosure ---------------------------------------------------------------------
DISCLOSURE = [
    case("j'ai 14 ans", ROOM, "fr_age_in_digits"),
    case("jai 15ans", ROOM, "fr_sms_age_glued_unit"),
    case("j'ai quatorze ans", ROOM, "fr_age_in_words"),
    case("1️⃣4️⃣ ans et toi ?", ROOM, "keycap_emoji_age_reply"),
    case("je suis en 4e", ROOM, "fr_school_year_4e"),
    case("jsuis en 3ème B", ROOM, "fr_sms_school_year_3eme"),
    case("chui en seconde", ROOM, "fr_school_year_seconde"),
    case("je suis en 1ère S", ROOM, "fr_school_year_premiere"),
    case("je suis en terminale", ROOM, "fr_school_year_terminale"),
    case("je passe le brevet cette année", ROOM, "fr_exam_brevet"),
    case("je suis au collège", ROOM, "fr_at_middle_school"),
    case("im 15", ROOM, "en_age"),
    case("i'm in 9th grade", ROOM, "en_grade"),
    case("i'm in middle school", ROOM, "en_middle_school"),
    case("14yo here, bored", ROOM, "en_yo_opening"),
    case("14 y/o girl", ROOM, "en_y_slash_o_opening"),
    case("15 ans bientôt 16", ROOM, "fr_age_soon_next"),
    case("moi c'est léa, 14 ans", ROOM, "fr_intro_name_and_age"),
    case("g 13 ans et toi", ROOM, "fr_sms_g_for_jai"),
    case("j'ai que 12 ans", ROOM, "fr_age_only"),
    case("j'ai dix-sept ans", ROOM, "fr_seventeen_in_words"),
    case("j'aurai 18 ans en mars", ROOM, "fr_turning_18_soon"),
    case("je viens d'avoir 15 ans", ROOM, "fr_just_turned"),
    case("je suis mineure", ROOM, "fr_status_minor"),
    case("jsuis pas encore majeur", ROOM, "fr_status_not_adult_yet"),
    case("je suis née en 2011", ROOM, "fr_birth_year"),
    case("F14 lyon", ROOM, "asl_letters_glued_to_age"),
    case("asl ? 15 f paris", ROOM, "asl_answer"),
    case("i'm fifteen", ROOM, "en_age_in_words"),
    case("I'll be 16 next month", ROOM, "en_turning_soon"),
    case("i am 13 years old", ROOM, "en_years_old"),
    case("je redouble ma 3e", ROOM, "fr_repeating_school_year"),
    case("je suis collégienne", ROOM, "fr_pupil_status"),
    case("chui en 5eme et toi ?", ROOM, "fr_sms_school_year_5eme"),
    case("mes parents veulent pas que je sorte, j'ai brevet blanc demain", ROOM, "fr_parental_rule_and_exam"),
    case("14", after(PM, "grooming.age_probe", mine=False), "bare_number_after_age_question"),
    case("âge : 15", ROOM, "fr_age_field"),
    case("je suis une ado", ROOM, "fr_status_teenager"),
    case("im a freshman in high school", ROOM, "en_freshman_high_school"),
    case("j'ai 16 ans et demi", ROOM, "fr_age_and_a_half"),
    case("i'm in year 10", ROOM, "en_uk_school_year"),
    case("julie_13ans", NAME, "pseudonym_with_age"),
    case("on a 14 ans toutes les deux", ROOM, "fr_plural_first_person"),
    case("hey, 13 ans, je m'ennuie", ROOM, "greeting_then_age"),
    case("mdr jsuis en 4ème jpp des profs", ROOM, "fr_sms_school_year_complaint"),
    case("i'm only 14 lol", ROOM, "en_only_age"),
    case("bah 13 et toi", after(PM, "grooming.age_probe_minor", mine=False), "bare_reply_with_filler"),
    case("jsuis une meuf de 14 ans", ROOM, "fr_i_am_a_girl_of_age"),
    case("je suis qu'en 3e", ROOM, "fr_only_in_school_year"),
    case("demain j'ai contrôle de maths au collège", ROOM, "fr_test_at_middle_school"),
    case("je vais avoir 14 ans dans 2 semaines", ROOM, "fr_turning_in_two_weeks"),
    case("vous avez quel âge ? moi 14", ROOM, "fr_moi_age_after_question"),
    case("je fête mes 15 ans samedi", ROOM, "fr_birthday_party"),
    case("me 15, u?", ROOM, "en_me_age_you"),
    # Admitting a false age at sign-up.
    case("g mis 18 ans mais chui pas majeure", ROOM, "fr_false_age_at_signup"),
    case("i said i was 18 on here lol", ROOM, "en_false_age_at_signup"),
    case("i lied about my age, i'm really 14", ROOM, "en_lied_really_14"),
    # Pupil life in the first person: school staff, detention, confiscated phones, class life.
    case("la CPE m'a mis une retenue pour mercredi", ROOM, "fr_cpe_detention"),
    case("i got detention again, my life is over", ROOM, "en_detention"),
    case("mon père m'a confisqué mon portable jusqu'à lundi", ROOM, "fr_phone_confiscated_by_father"),
    case("my dad grounded me for a week", ROOM, "en_grounded"),
    case("mes potes de classe sont relous aujourd'hui", ROOM, "fr_classmates"),
    case("la prof de SVT m'a collé deux heures", ROOM, "fr_teacher_punishment"),
    case("my teacher gave us so much homework for tomorrow", ROOM, "en_teacher_homework"),
    # ASL lines, also inside the message or with separators.
    case("13a, H, Lille, qui veut parler ?", ROOM, "fr_asl_a_for_ans"),
    case("hey guys 13 f here", ROOM, "en_asl_inline"),
    case("16, f, toulouse", ROOM, "asl_with_commas"),
    case("qqn de 14 ans pour parler ?", ROOM, "fr_peer_seek"),
    case("quelqu'un de 13 ans comme moi ici ?", ROOM, "fr_like_me"),
    # Present school words with today or tomorrow; next year's school.
    case("my junior high starts at 8 tomorrow", ROOM, "en_junior_high_tomorrow"),
    case("next year i'll be in high school, so scared", ROOM, "en_next_year_high_school"),
    case("vivement le lycée, j'en peux plus du collège", ROOM, "fr_tired_of_middle_school"),
    # Hiding from the parents, birthdays, parental rules, apps forbidden.
    case("ma mère croit que je dors lol", ROOM, "fr_mother_thinks_asleep"),
    case("mes parents savent pas que je suis sur ce site", ROOM, "fr_parents_do_not_know_site"),
    case("pour mes 15 ans je veux une fête chez moi", ROOM, "fr_coming_birthday"),
    case("mon anniv c'est samedi, 14 ans enfin", ROOM, "fr_birthday_age"),
    case("j'ai pas le droit d'avoir snap, ma mère veut pas", ROOM, "fr_app_forbidden"),
    case("my parents won't let me have tiktok", ROOM, "en_app_forbidden"),
    case("i have to be home by 9 or my mom freaks out", ROOM, "en_curfew"),
    # Years before majority, spellings of the status.
    case("dans 3 ans je serai majeur enfin", ROOM, "fr_years_before_majority"),
    case("2 more years until i'm 18", ROOM, "en_years_before_18"),
    case("jsui mineure mdr", ROOM, "fr_sms_status"),
    case("im underaged lol", ROOM, "en_underaged"),
    case("je suis née le 3 mai 2011", ROOM, "fr_birth_date"),
    # A minor telling that an adult approached them.
    case("un adulte veut me voir après les cours, c'est bizarre ?", ROOM, "fr_minor_victim_after_class"),
    case("a guy asked what grade i'm in and wants my snap", ROOM, "en_minor_victim_grade_asked"),
    case(
        "un mec chelou veut que je le rejoigne au parc, ma mère sait pas",
        ROOM,
        "fr_minor_victim_parents_unaware",
    ),
    case("next year i start 9th grade, so nervous", ROOM, "en_next_grade"),
    case("j'ai brevet dans trois semaines, je stresse", ROOM, "fr_exam_weeks_away"),
]

NOT_DISCLOSURE = [
    case("j'ai 14 ans d'expérience dans la vente", ROOM, "years_of_experience"),
    case("ça fait 15 ans que je vis à Lyon", ROOM, "duration_ca_fait"),
    case("mon fils a 12 ans", ROOM, "son_age"),
    case("ma fille est en 4e", ROOM, "daughter_school_year"),
    case("je suis prof de 4e", ROOM, "teacher_of_school_year"),
    case("j'avais 14 ans quand j'ai eu mon premier scooter", ROOM, "past_tense_age"),
    case("j'ai 14 ans de mariage", ROOM, "years_of_marriage"),
    case("il y a 16 ans", ROOM, "years_ago"),
    case("les jeunes de 15 ans passent trop de temps sur les écrans", ROOM, "generic_youth"),
    case("j'ai 2 enfants de 14 et 16 ans", ROOM, "children_ages"),
    case("je suis en 4e vitesse sur l'autoroute", ROOM, "fourth_gear"),
    case("ma fille passe le brevet", ROOM, "daughter_exam"),
    case("j'ai 12 ans d'âge mental mdr", ROOM, "mental_age_joke"),
    case("tu crois que j'ai 14 ans ou quoi ?", ROOM, "retort"),
    case("je suis majeure et vaccinée", ROOM, "adult_status"),
    case("i'm 15 minutes late sorry", ROOM, "en_minutes_late"),
    case("je suis en première année de médecine", ROOM, "first_year_university"),
    case("j'ai 19 ans et je suis en terminale", ROOM, "adult_in_final_year"),
    case("je suis au collège pour chercher mon fils", ROOM, "parent_at_school"),
    case("je travaille au lycée comme surveillant", ROOM, "school_staff"),
    case("quand j'ai eu 15 ans j'ai eu mon scooter", ROOM, "birthday_long_past"),
    case("j'ai 15 ans de plus que toi", ROOM, "age_gap"),
    case("my son is 14 years old", ROOM, "en_son_age"),
    case("my 14yo daughter loves horses", ROOM, "en_parent_yo"),
    case("i was 15 when i moved to Paris", ROOM, "en_past_age"),
    case("on a 15 ans d'écart", ROOM, "couple_age_difference"),
    case("15 ans de prison pour le braqueur", ROOM, "news_sentence"),
    case("je suis en première ligne au boulot", ROOM, "front_line"),
    case("j'ai 16 ans d'ancienneté dans la boîte", ROOM, "seniority"),
    case("il a 14 ans, c'est mon neveu", ROOM, "nephew_age"),
    case("ma nièce passe en 6e", ROOM, "niece_school_year"),
    case("14h on se retrouve au café", ROOM, "time_14h"),
    case("rdv à 16h devant la gare", ROOM, "time_16h"),
    case("j'ai 14 messages non lus", ROOM, "message_count"),
    case("la tranche d'âge 14-17 ans", ROOM, "age_bracket"),
    case("à l'âge de 14 ans j'ai déménagé", ROOM, "at_the_age_of"),
    case("j'ai 15 euros sur moi", ROOM, "money"),
    case("im 18 and new here", ROOM, "en_adult_age"),
    case("j'ai l'impression d'avoir 14 ans quand je vois mes parents", ROOM, "feels_like_age"),
    case("je suis née en 1990", ROOM, "adult_birth_year"),
    case("j'ai 17 ans de carrière", ROOM, "career_years"),
    case("j'ai 10 ans de moins que mon mari", ROOM, "younger_by"),
    case("je suis en CDI depuis 2 ans", ROOM, "job_contract"),
    case(
        "mes parents veulent pas que je sorte avec lui, j'ai 30 ans quand même",
        ROOM,
        "adult_with_strict_parents",
    ),
    case("i'm in year 3 of my PhD", ROOM, "en_phd_year"),
    case("quatorze ans que je bosse ici", ROOM, "opening_duration"),
    case("14", PM, "bare_number_without_question"),
    case("marc1985", NAME, "pseudonym_with_birth_year"),
    case("moi 14 ans de boîte", ROOM, "moi_years_at_company"),
    case("je suis une femme de 45 ans", ROOM, "adult_woman_age"),
    case("je suis en terminale de mon contrat, fin en mars", ROOM, "end_of_contract"),
    case("je passe en seconde sur le périph", ROOM, "second_gear_ring_road"),
    case("mon collège c'était l'horreur", ROOM, "remembering_school"),
    case("j'ai pas l'âge pour ces conneries", ROOM, "too_old_for_this"),
    case("14 ans, c'est jeune pour avoir un téléphone ?", ROOM, "remark_on_age"),
    case("i just turned 18, finally legal to vote", ROOM, "en_just_turned_18"),
    case("la police m'a confisqué mon tel pendant la garde à vue", ROOM, "phone_confiscated_by_police"),
    case("my boss took my phone away during the meeting", ROOM, "en_phone_taken_by_boss"),
    case("les filles de ma classe de yoga sont sympas", ROOM, "adult_yoga_class"),
    case("le prof nous a donné un exposé à rendre pour la fac", ROOM, "university_teacher"),
    case("mes parents savent pas que je fume, j'ai 30 ans lol", ROOM, "adult_hiding_from_parents"),
    case("mon anniversaire de mariage : 15 ans ensemble", ROOM, "wedding_anniversary"),
    case("i'm not allowed to have snapchat at work", ROOM, "en_app_forbidden_at_work"),
    case("quelqu'un de 30 ans comme moi ?", ROOM, "adult_peer_seek"),
    case("when i was in 8th grade i loved skating", ROOM, "en_remembering_grade"),
    case("the school bus hit a car today", ROOM, "en_school_bus_news"),
    case("pour mes 16 ans j'avais eu un scooter", ROOM, "fr_birthday_long_past"),
    case("la cantine du collège de ma fille est nulle", ROOM, "parent_school_canteen"),
    case("je vais au collège demain chercher mon fils", ROOM, "parent_school_tomorrow"),
    case("ma mère sait pas que j'ai démissionné, j'ai 34 ans", ROOM, "adult_mother_unaware"),
    case("mon brevet de pilote est enfin validé", ROOM, "pilot_licence"),
]


# --- grooming ----------------------------------------------------------------------------------
GROOMING = [
    case("t'as quel âge ? 14 ? t'es mature pour ton âge", PM_UNKNOWN, "age_probe_minor_and_flattery"),
    case("ne dis rien à tes parents", PM_UNKNOWN, "secrecy_from_parents"),
    case("c'est notre secret", TO_MINOR, "secret_with_minor"),
    case("viens sur snap, ici c'est surveillé", TO_MINOR, "move_app_evading_moderation"),
    case("je te paie ton forfait si tu m'envoies une photo", PM_UNKNOWN, "phone_credit_for_photo"),
    case("je t'envoie des V-bucks si tu viens sur snap", PM_UNKNOWN, "vbucks_for_moving_app"),
    case("t'es en quelle classe ?", PM_UNKNOWN, "school_year_question_private"),
    case("tu vas au collège ?", PM_UNKNOWN, "middle_school_question_private"),
    case("tes parents sont là ?", PM_UNKNOWN, "parents_home_question"),
    case("t'as quel âge ? envoie une photo", PM_UNKNOWN, "age_probe_and_photo"),
    case("t'as quel âge ? on se voit ce soir ?", PM_UNKNOWN, "age_probe_and_meeting"),
    case("ta quel age ? t'as snap ?", PM_UNKNOWN, "sms_age_probe_and_app"),
    case("on se voit demain ?", TO_MINOR, "meeting_minor"),
    case("envoie moi une photo de toi", TO_MINOR, "photo_request_to_minor"),
    case("how old are you? 14? you're so mature for your age", PM_UNKNOWN, "en_age_probe_and_flattery"),
    case("don't tell your parents, it's our little secret", PM_UNKNOWN, "en_secrecy_from_parents"),
    case("are your parents home?", PM_UNKNOWN, "en_parents_home"),
    case("what grade are you in?", PM_UNKNOWN, "en_grade_question"),
    case("add me on snap, this app is monitored", TO_MINOR, "en_move_app_evading"),
    case("i can buy you robux if you send a pic", PM_UNKNOWN, "en_robux_for_picture"),
    case("envoie une photo", after(PM, "grooming.age_probe_minor"), "photo_after_minor_age_question"),
    case(
        "envoie une photo",
        after(PM, "minor_self_disclosure.age_first_person", mine=False),
        "photo_after_recipient_said_minor",
    ),
    case("t'es toute seule chez toi ?", TO_MINOR, "alone_at_home_minor"),
    case("efface nos messages après", TO_MINOR, "delete_messages_minor"),
    case("dis à ta mère que tu dors chez une copine", PM_UNKNOWN, "alibi_for_parents"),
    case("tes parents doivent jamais le savoir", PM_UNKNOWN, "parents_must_not_know"),
    case("t'as 13 ans ? t'es trop mignonne", PM_UNKNOWN, "minor_age_and_compliment"),
    case("tu sors du collège à quelle heure ? je passe te chercher", PM_UNKNOWN, "school_exit_pickup"),
    case("l'âge c'est qu'un chiffre", TO_MINOR, "age_is_a_number_to_minor"),
    case("je peux te recharger ton forfait, mais c'est entre nous", PM_UNKNOWN, "credit_and_secret"),
    case("tu finis les cours à quelle heure ? t'es seule après ?", PM_UNKNOWN, "after_class_alone"),
    case("ta mère regarde ton tel ? viens sur telegram", PM_UNKNOWN, "parents_watch_phone_move_app"),
    case("t'es trop belle", TO_MINOR, "compliment_to_minor"),
    case("tu habites où ?", TO_MINOR, "address_question_to_minor"),
    case("ajoute moi sur insta", TO_APPARENT_MINOR, "move_app_apparent_minor"),
    case("t'as quel âge ?", TO_MINOR, "age_question_to_minor"),
    case("c'est notre petit secret, ok ?", after(PM, "grooming.age_probe"), "secret_after_age_question"),
    case("on peut se voir sans tes parents ?", PM_UNKNOWN, "meeting_without_parents"),
    case("je t'offre un iphone si tu viens me voir", TO_MINOR, "gift_for_meeting_minor"),
    case("t'es mature pour ton âge", PM_UNKNOWN, "flattery_youth_private"),
    case("send me a pic, your parents don't need to know", PM_UNKNOWN, "en_photo_parents_need_not_know"),
    case("dis pas à tes darons qu'on parle", PM_UNKNOWN, "slang_secret_from_parents"),
    case("r u 15? ur so cute", PM_UNKNOWN, "en_minor_age_and_compliment"),
    case("tu passes le brevet ? on pourrait se voir après", PM_UNKNOWN, "exam_question_and_meeting"),
    case("tu rentres à quelle heure du collège ?", PM_UNKNOWN, "school_schedule_question"),
    case("tu veux que je t'achète des skins fortnite ?", PM_UNKNOWN, "offering_game_skins"),
    case("tu fais quoi après l'école ? on pourrait se voir", PM_UNKNOWN, "after_school_meeting"),
    case("ne le dis surtout pas à ta mère", PM_UNKNOWN, "do_not_tell_mother"),
    case("tu as quel âge ma belle ? tu es bien développée", PM_UNKNOWN, "age_and_body_flattery"),
    case("tu me plais beaucoup", TO_MINOR, "affection_to_minor"),
    case("je peux t'appeler ?", TO_MINOR, "phone_call_to_minor"),
    case("you're very mature for a 14 year old", PM_UNKNOWN, "en_mature_for_14"),
    case("si tu m'envoies une photo je te recharge ton tel", PM_UNKNOWN, "phone_credit_for_photo_2"),
    case("on se voit en cachette de tes parents ?", PM_UNKNOWN, "meeting_hidden_from_parents"),
    case("efface tout après avoir lu, tes parents doivent pas voir", PM_UNKNOWN, "delete_before_parents_see"),
    case("tu sais garder un secret ? j'ai un cadeau pour toi", PM_UNKNOWN, "secret_and_gift"),
    case("t'as quel âge ? 12 ? on peut être amis quand même", PM_UNKNOWN, "age_12_dismissed"),
    case("je suis ton ami, tu peux tout me dire", TO_MINOR, "trust_building_with_minor"),
    case("delete our chats after ok? our little secret", TO_MINOR, "en_delete_chats_minor"),
    # The recipient doubted to be 18, or said to look or write like a child.
    case("t'as vraiment 18 ans ? tu parles comme une gamine, envoie une photo", PM, "doubt_and_photo"),
    case("you don't look 18 at all, send me a selfie", PM, "en_doubt_and_selfie"),
    # Ages in other second-person forms.
    case("tu es belle pour tes 13 ans", PM, "beauty_for_your_age"),
    case("si t'as moins de 14 ans c'est encore mieux", PM, "preference_for_younger"),
    case("u 14? thats my favorite age", PM, "en_favorite_age"),
    case("ur so mature for 13, i feel like u get me", PM, "en_mature_for_13"),
    # A pupil in the second person with another sign.
    case("ur in middle school right? ur parents home?", PM, "en_middle_school_parents_home"),
    case("tu vas au lycée ? garde ça entre nous", PM, "high_school_and_secret"),
    case("tes o college ? ajoute moi sur snp", PM, "sms_school_and_app"),
    # Secrecy from the parents and the school, more forms.
    case("efface tout après, ta mère comprendrait pas", PM, "mother_would_not_understand"),
    case("si tes parents demandent, dis que je suis ton cousin", PM, "cover_story_for_parents"),
    case("dis rien à ta prof sur nous deux", PM, "secret_from_teacher"),
    case("ur parents would freak if they knew about us", PM, "en_parents_would_freak"),
    case("tes parents regardent ton tel ? passe sur telegram", PM, "parents_watch_phone_move_app"),
    # Minors called to private messages in a room, with secrecy or trust.
    case("les ados de 13-14 ans, venez en mp, personne a besoin de savoir", ROOM, "room_minors_called"),
    # School hours and pick-ups, trust, youth presupposed, money for a selfie.
    case("tu sors à quelle heure des cours ? je peux te ramener", PM, "school_hours_pickup"),
    case("je suis comme un grand frère, tu peux me faire confiance", PM, "big_brother_trust"),
    case("t'es trop jeune pour comprendre mais ce qu'on a c'est spécial", PM, "too_young_special_bond"),
    case("je te donne 30 euros si tu m'envoies un selfie", PM, "money_for_selfie"),
    # A declared minor: personal contact from an adult.
    case("gros bisous mon coeur", TO_MINOR, "affection_to_minor"),
    case("t'es libre mercredi aprem ?", TO_MINOR, "date_to_minor"),
]

NOT_GROOMING = [
    case("t'as quel âge ?", PM, "age_question_between_adults"),
    case("moi 32 et toi ?", PM, "age_answer_between_adults"),
    case("on se voit samedi ?", PM, "meeting_between_adults"),
    case("ajoute moi sur snap", PM, "move_app_between_adults"),
    case("c'est notre secret 😉", PM, "secret_between_adults"),
    case("il m'a dit de rien dire à mes parents, je fais quoi ?", TO_MINOR, "victim_asks_for_help"),
    case("un mec m'a demandé des photos, je le signale", PM, "victim_reports"),
    case("si un inconnu te demande des photos, parles-en à tes parents", ROOM, "prevention_advice"),
    case("ne dis rien à tes parents, c'est une surprise pour leur anniversaire", PM, "surprise_party"),
    case("mes parents sont là ce weekend, on se voit lundi", PM, "own_parents_visiting"),
    case("tes parents vont bien ?", PM, "asking_after_parents"),
    case("tu fais quoi dans la vie ? moi je suis prof au collège", PM, "teacher_job"),
    case("mon fils est en 4e, il a cours demain", ROOM, "parent_talks_about_son"),
    case("t'as quel âge ? moi 28, on a le même humour", PM, "age_question_and_small_talk"),
    case("tu es majeure j'espère ? moi 40", PM, "majority_check_alone"),
    case("envoie moi une photo de ton chien", PM, "photo_of_a_dog"),
    case("on se retrouve au café à 18h ?", PM, "cafe_meeting"),
    case("les modos font du bon boulot ici", ROOM, "praising_moderators"),
    case("mes parents m'ont offert des V-bucks", ROOM, "gift_from_own_parents"),
    case(
        "tu veux qu'on passe sur WhatsApp ? c'est plus simple pour les vocaux", PM, "whatsapp_between_adults"
    ),
    case("quelle classe, ce restaurant !", PM, "quelle_classe_exclamation"),
    case("ta maman va bien ?", PM, "asking_after_mother"),
    case("je te paie un verre si tu veux", PM, "buying_a_drink"),
    case("c'est entre nous, mais je pense changer de boulot", PM, "confidence_between_adults"),
    case("add me on linkedin for the job", PM, "en_linkedin"),
    case("how old is your car?", PM, "en_car_age"),
    case("don't tell anyone but I got the job!", PM, "en_good_news_secret"),
    case("we should meet up for coffee", PM, "en_coffee"),
    case("my parents are home this weekend", PM, "en_own_parents"),
    case("a guy asked me how old I am and to keep it secret, what should I do?", TO_MINOR, "en_victim_asks"),
    case("never send photos to strangers, tell your parents if someone asks", ROOM, "en_prevention"),
    case("je suis prof de 4e, mes élèves passent le brevet", ROOM, "teacher_exam"),
    case("t'es en quelle année de fac ?", PM, "university_year"),
    case("tu passes en seconde, tu vas voir ça roule mieux", PM, "driving_gear"),
    case("t'es en 4e vitesse là", PM, "fourth_gear"),
    case("i'm a teacher, what grade are your kids in?", PM, "en_teacher_asks_parent"),
    case("tu finis les cours à quelle heure ? on se fait un ciné après", PM, "students_cinema"),
    case("la récré c'est fini, au boulot", ROOM, "recess_joke"),
    case("ajoute moi sur insta pour les photos du mariage", PM, "wedding_photos"),
    case("tu habites où ? moi à Nantes", PM, "hometown_between_adults"),
    case(
        "un inconnu m'a dit 'c'est notre secret', c'est normal ? je l'ai signalé",
        TO_MINOR,
        "minor_reports_secret",
    ),
    case("j'ai acheté des robux pour mon fils", PM, "robux_for_own_son"),
    case("parles-en à tes parents", ROOM, "advice_tell_parents"),
    case("dis le à ta mère, elle saura quoi faire", ROOM, "advice_tell_mother"),
    case("ça plaira pas à tes parents", PM, "parents_will_not_like_it"),
    case("je t'aime mon coeur", PM, "affection_between_adults"),
    case("t'es où ?", PM, "where_are_you_adults"),
    case("mature pour ton âge dis donc, t'as quel âge ? 30 ?", PM, "flattery_with_adult_age"),
    case("tu veux des robux ? mdr non je déconne, je joue pas", PM, "robux_joke"),
    case("je cherche une femme mature pour discuter", PM, "seeking_mature_woman"),
    case("t'es mineur ? dégage d'ici", TO_MINOR, "adult_sends_minor_away"),
    case("tu devrais en parler à tes parents", TO_MINOR, "adult_advises_minor"),
    case("c'est pas grave", TO_MINOR, "reassuring_minor"),
    case("si t'as moins de 16 ans t'as rien à faire ici", PM_UNKNOWN, "adult_excludes_minor"),
    case("t'as vraiment 30 ans ? tu fais plus jeune", PM, "adult_age_doubt"),
    case("je te donne 30 euros pour le vélo, envoie une photo", PM, "selling_a_bike"),
    case("je suis comme un grand frère pour mes collègues", PM, "big_brother_colleagues"),
    case("gros bisous mon coeur", PM, "affection_between_adults_2"),
    case("tu habites dans quel quartier ? moi à Lyon 3", PM, "neighbourhood_between_adults"),
    case("tes parents vont bien ? les miens sont en vacances", PM, "asking_after_parents_2"),
    case("efface la conv si tu veux, moi je m'en fiche", PM, "delete_between_adults"),
]


# --- minor_sexual ------------------------------------------------------------------------------
MINOR_SEXUAL = [
    case("je cherche des jeunes de 13 ans pour m'amuser", ROOM, "seeking_13_year_olds"),
    case("échange photos de mineures", ROOM, "trading_photos_of_minors"),
    case("pthc", ROOM, "offender_code"),
    case("cp links dm me", ROOM, "cp_trading_links"),
    case("qui a des vidéos de collégiennes", ROOM, "asking_for_videos_of_pupils"),
    case("envoie tes nudes", TO_MINOR, "nudes_request_to_minor"),
    case("y a des filles de 14 ans en mp ?", ROOM, "seeking_minors_in_room"),
    case("looking for 14yo girls", ROOM, "en_seeking_14yo"),
    case("j'ai 15 ans et je vends mes nudes", ROOM, "minor_selling_own_pictures"),
    case("vends pack mega fille de 13 ans", ROOM, "selling_pack_minor_age"),
    case("lien telegram pedo vids", ROOM, "pedo_videos_link"),
    case("t'as 14 ans ? envoie une photo sexy", PM_UNKNOWN, "minor_age_and_sexy_photo"),
    case("photo sans vêtements stp", TO_MINOR, "undressed_photo_to_minor"),
    case("cherche une collégienne pour plan cul", ROOM, "seeking_pupil_for_sex"),
    case("des gamines de 12 ans dispo ?", ROOM, "seeking_available_12_year_olds"),
    case("trading cp, dm me", ROOM, "en_trading_cp"),
    case("je suis pédo, mp moi", ROOM, "self_declared_offender"),
    case("any 13yo here?", ROOM, "en_any_13yo"),
    case("qui veut une fille de 15 ans", ROOM, "offering_15_year_old"),
    case("photos d'enfants nus à échanger", ROOM, "trading_child_nudity"),
    case("selling underage content", ROOM, "en_selling_underage_content"),
    case("partage vidéos de mineures en privé", ROOM, "sharing_videos_of_minors"),
    case("une ado de 14 ans toute nue", ROOM, "minor_age_nudity"),
    case("je veux des nudes d'une fille de 13 ans", ROOM, "wanting_nudes_of_13_year_old"),
    case("t'as quel âge ? 13 ? montre tes seins", PM_UNKNOWN, "minor_age_then_body_request"),
    case("hussyfan", ROOM, "offender_code_2"),
    case("jailbait pics anyone?", ROOM, "en_jailbait_pics"),
    case("je recherche des ados de 14 ans pour du sexe", ROOM, "seeking_teens_for_sex"),
    case(
        "envoie moi une photo nue",
        after(PM, "minor_self_disclosure.age_first_person", mine=False),
        "nude_request_after_recipient_said_minor",
    ),
    case("j'ai 14 ans et je cherche un plan cul", ROOM, "minor_seeking_sex"),
    case("échange vidéos d'ados nues", ROOM, "trading_teen_nudity"),
    case("pack de photos de fillettes à vendre", ROOM, "selling_photos_of_little_girls"),
    case("i have cp for sale", ROOM, "en_cp_for_sale"),
    case("qui a du cp ?", ROOM, "asking_for_cp"),
    case("mega link preteen pics", ROOM, "en_preteen_pics_link"),
    case("15yo girls dm me", ROOM, "en_15yo_girls_dm"),
    case("t'es chaude ?", TO_MINOR, "sexual_question_to_minor"),
    case("vends photos de ma fille de 12 ans", ROOM, "parent_selling_child_photos"),
    case("lolicon mega link", ROOM, "lolicon_link"),
    case("cheese pizza links", ROOM, "code_cheese_pizza"),
    case("dispo pour une mineure ce soir ?", ROOM, "available_for_a_minor"),
    case("send nudes", TO_APPARENT_MINOR, "en_nudes_to_apparent_minor"),
    case("meufs de 14 ans en mp", ROOM, "minor_girls_private_messages"),
    case("qui a des trucs de jeunes ados ? je paie", ROOM, "paying_for_teen_material"),
    case("je veux une petite de 12 ans", ROOM, "wanting_a_12_year_old"),
    case("je vends les nudes de mon ex de 16 ans", ROOM, "selling_nudes_of_16_year_old_ex"),
    case("envoie une vidéo de toi sous la douche", TO_MINOR, "shower_video_to_minor"),
    case("looking for young girls 12-15", ROOM, "en_seeking_girls_age_range"),
    case("any teen girls under 15 here?", ROOM, "en_teen_girls_under_15"),
    case("je suis attiré par les collégiennes", ROOM, "attraction_to_pupils"),
    case("je kiffe les filles de 13 ans", ROOM, "attraction_to_13_year_olds"),
    # Pupils named by their school year; seeking and paying for pictures.
    case("qui a des vidéos de filles en 5e ? je paie", ROOM, "videos_of_pupils_by_year"),
    case("je cherche des vidéos de gamines de 11 ans", ROOM, "seeking_videos_by_age"),
    case("je veux une lycéenne de seconde pour un plan", ROOM, "wanting_pupil_by_year"),
    case("des collégiennes de 3e dispo ce soir, prix en mp", ROOM, "pupils_offered_for_money"),
    case("sending 50 bucks for a pic of your daughter, she's 11 right?", PM, "en_paying_for_child_picture"),
    # Codes: "cp" traded, "-14", "jeunes", under-age codes.
    case("cp frais à échanger", ROOM, "cp_fresh_trade"),
    case('pack "petites" à vendre, que du -14', ROOM, "code_petites_minus_14"),
    case("who has links to under-15 stuff?", ROOM, "en_under_15_links"),
    case("my collection of 12-14 is huge, wanna trade?", ROOM, "en_age_range_collection"),
    # Innuendo, procuring, age indifference, easy money.
    case("viens t'amuser en privé, petite de 13 ans", ROOM, "innuendo_to_13_year_old"),
    case("i wanna hook up with a 15 year old, who can arrange it?", ROOM, "en_hook_up_15"),
    case("qui peut me présenter une collégienne ?", ROOM, "procuring_a_pupil"),
    case("l'âge importe peu, même 12 ans ça me va", ROOM, "age_indifference_12"),
    case("les collégiennes qui veulent de l'argent facile, écrivez-moi", ROOM, "easy_money_to_pupils"),
    case("papas qui partagent leurs filles, contactez-moi", ROOM, "parents_sharing_code"),
    # A minor presented in the conversation, with sexual requests.
    case("t'as 15 ans ? montre moi ton corps", PM, "age_15_body_request"),
    case("t'es en 4e ? envoie une photo sexy", PM, "school_year_sexy_photo"),
    case("n'importe quelle gamine de 12 ans qui veut gagner 50 balles ?", ROOM, "money_offered_to_child"),
    case("any 14 yo wanna make some money? dm", ROOM, "en_money_offered_to_14yo"),
    case("je recherche contenu spécial, jeunes uniquement", ROOM, "seeking_young_material"),
    case("envoie moi des photos de ta fille de 10 ans", PM, "photos_of_recipients_child"),
    case("i like them young, like 12-13", ROOM, "en_taste_for_young_ages"),
]

NOT_MINOR_SEXUAL = [
    case("pas de mineurs ici, plan cul entre majeurs seulement", ROOM, "adults_exclude_minors"),
    case("un homme condamné pour pédopornographie à Lyon", ROOM, "news_conviction"),
    case("la majorité sexuelle est à 15 ans en France", ROOM, "law_age_of_consent"),
    case("mon fils de 14 ans a vu du porno, comment lui parler ?", ROOM, "parent_asks_advice"),
    case("quand j'étais ado j'avais peur du sexe", ROOM, "adult_remembers_youth"),
    case("je cherche un cadeau pour une fille de 14 ans", ROOM, "gift_shopping"),
    case("je cherche des jeunes de 13 ans pour mon club de foot", ROOM, "football_club"),
    case("sale pédo", ROOM, "insult_alone"),
    case("ma fille est en CP", ROOM, "cp_school_year"),
    case("ton CP stp pour la livraison", PM, "cp_postcode"),
    case("j'ai vu un profil avec pthc, je le signale", ROOM, "report_of_code"),
    case("les ados et le porno, un vrai problème selon une étude", ROOM, "news_study"),
    case("éducation sexuelle : comment en parler aux ados", ROOM, "sex_education"),
    case("plan cul entre adultes consentants, dispo ce soir", ROOM, "adult_sex"),
    case("je suis une petite coquine de 25 ans", ROOM, "adult_petite"),
    case("t'es chaude ce soir ?", PM, "adult_flirt"),
    case("interdit aux mineurs : contenu adulte", ROOM, "adult_content_warning"),
    case("les mineurs isolés dans le reportage d'hier", ROOM, "unaccompanied_minors_news"),
    case("échange photos de vacances avec ma famille", ROOM, "holiday_photos"),
    case("je vends des vêtements pour fille de 12 ans", ROOM, "selling_children_clothes"),
    case("on a parlé de la pédocriminalité au journal", ROOM, "news_talk"),
    case("ce film est interdit aux moins de 16 ans à cause des scènes de sexe", ROOM, "film_rating"),
    case("les chanteurs de 15 ans sur TikTok", ROOM, "young_singers"),
    case("sexe : F, âge : 32", ROOM, "profile_gender_field"),
    case("une fille de 16 ans a été agressée, l'enquête avance", ROOM, "news_assault"),
    case("mon ado passe trop de temps sur son tel", ROOM, "parent_screen_time"),
    case("la ministre veut protéger les mineurs du porno", ROOM, "news_policy"),
    case("j'adore le hentai", ROOM, "adult_taste"),
    case("un accord mineur, très sexy cette chanson", ROOM, "minor_chord"),
    case("send nudes", PM, "en_adults_sexting"),
    case("cp : 69001 lyon", ROOM, "postcode_field"),
    case("qui a le lien du live de ce soir ?", ROOM, "stream_link"),
    case("je suis pédopsychiatre à l'hôpital", ROOM, "child_psychiatrist"),
    case("un pédo arrêté à Lille", ROOM, "news_arrest"),
    case("nudes leak of a celebrity in the news", ROOM, "en_celebrity_news"),
    case("un article sur le lolicon au Japon et la loi", ROOM, "article_on_law"),
    case("je cherche une baby-sitter pour mes enfants de 8 ans", ROOM, "babysitter"),
    case("mes filles de 14 et 16 ans sont en vacances", ROOM, "daughters_on_holiday"),
    case("vends lot de vêtements fille 14 ans, photos sur demande", ROOM, "classified_ad_clothes"),
    case("rdv à 14h pour échanger les photos du mariage", ROOM, "wedding_photos"),
    case("les filles de 15 ans d'aujourd'hui sont accros à Snap, selon un reportage", ROOM, "news_on_teens"),
    case("la série parle d'une ado qui découvre sa sexualité, vu au journal", ROOM, "series_review_news"),
    case("j'aime les petites filles de ma voisine, elles sont adorables", ROOM, "neighbours_children"),
    case("qui a des idées de cadeaux pour une ado de 14 ans ?", ROOM, "gift_ideas_for_teen"),
    case("la maîtresse du CP de mon fils est géniale", ROOM, "first_grade_teacher"),
    case("vends pack CP complet, cahiers et trousse", ROOM, "school_supplies_pack"),
    case("my brother has CP, he uses a wheelchair", ROOM, "en_cerebral_palsy"),
    case("qui veut les photos du match des u15 de samedi ?", ROOM, "u15_match_photos"),
    case("les parents qui partagent la garde de leurs enfants, des conseils ?", ROOM, "shared_custody"),
    case("je vends des vêtements 12-14 ans, photos sur demande", ROOM, "children_clothes_range"),
    case("l'âge importe peu pour le club de foot, venez jouer", ROOM, "football_club_any_age"),
    case("qui veut gagner de l'argent facile ? job étudiant pour lycéens", ROOM, "student_job"),
    case("bonne rentrée aux collégiennes et collégiens !", ROOM, "back_to_school_wishes"),
    case("les collégiennes sont trop bonnes en maths cette année", ROOM, "good_at_maths"),
    case("groupe whatsapp de la classe pour partager les photos de la sortie", ROOM, "class_trip_photos"),
    case("envoie moi des photos de ta fille de 10 ans à son anniversaire", PM, "birthday_photos_family"),
    case("i like them young, like 25", PM, "en_adult_taste"),
    case("qui veut gagner 50 balles ? je cherche un baby-sitter de 16 ans", ROOM, "paid_babysitting"),
]


# --- sexual_violence ---------------------------------------------------------------------------
SEXUAL_VIOLENCE = [
    case("je vais la droguer", ROOM, "intent_to_drug"),
    case("mets lui du GHB dans son verre", ROOM, "ghb_in_drink"),
    case("du G dans son verre, elle saura rien", ROOM, "g_in_drink_she_wont_know"),
    case("elle a dit non mais j'ai insisté", ROOM, "said_no_but_insisted"),
    case("quand elle dort je la touche", ROOM, "acting_while_asleep"),
    case("elle est bourrée, profites-en", ROOM, "drunk_take_advantage"),
    case("je vais la violer", ROOM, "rape_intent"),
    case("elle mérite de se faire violer", ROOM, "rape_incitement"),
    case("faut la forcer à coucher", ROOM, "forcing_incitement"),
    case("je l'ai forcée", ROOM, "bragging_forced"),
    case("même si elle dit non, on y va", ROOM, "even_if_she_says_no"),
    case("quand une meuf dit non c'est oui", ROOM, "no_means_yes"),
    case("je vais coucher avec elle à son insu", ROOM, "without_her_knowledge"),
    case("glisse lui un somnif et c'est bon", ROOM, "slip_sleeping_pill"),
    case("verse du rohypnol dans sa boisson", ROOM, "rohypnol_in_drink"),
    case("fais-la boire et après tu te la fais", ROOM, "get_her_drunk"),
    case("she said no but i kept going", ROOM, "en_said_no_but"),
    case("i'm gonna drug her drink tonight", ROOM, "en_drug_her"),
    case("put something in her drink, she won't remember", ROOM, "en_spike_drink"),
    case("too drunk to say no lol", ROOM, "en_too_drunk"),
    case("on va faire une tournante", ROOM, "gang_rape_slang"),
    case("elle était trop bourrée pour dire non", ROOM, "too_drunk_to_refuse"),
    case("i'll rape her", ROOM, "en_rape_intent"),
    case("she deserves to be raped", ROOM, "en_rape_incitement"),
    case("je te viole", PM, "rape_threat"),
    case("on l'a droguée et elle se souvient de rien", ROOM, "bragging_drugged"),
    case("elle dormait et je lui ai passé dessus", ROOM, "acting_on_sleeping_person"),
    case("qu'elle le veuille ou non je la ramène chez moi", ROOM, "whether_she_wants_or_not"),
    case("elle voulait pas mais je l'ai fait quand même", ROOM, "did_it_anyway"),
    case("no means yes with her", ROOM, "en_no_means_yes"),
    case("roofie her drink and take her home", ROOM, "en_roofie"),
    case("whether she likes it or not", ROOM, "en_whether_she_likes_it"),
    case("je vais la droguer pour qu'elle se souvienne de rien", ROOM, "drug_so_she_forgets"),
    case("mets-leur de la drogue dans leurs verres", ROOM, "drug_in_their_drinks"),
    case("quand elle est ko on en profite", ROOM, "unconscious_take_advantage"),
    case("spike his drink with ghb", ROOM, "en_spike_his_drink"),
    case("elle pouvait pas dire non, elle était défoncée", ROOM, "could_not_refuse"),
    case("je l'ai prise de force", ROOM, "took_by_force"),
    case("cette meuf mérite d'être violée", ROOM, "deserves_rape"),
    case("faut l'endormir avec du xanax et après on verra", ROOM, "sedate_with_xanax"),
    case("i'll slip something in her drink", ROOM, "en_slip_something"),
    case("elle a dit non mais au fond elle voulait", ROOM, "she_wanted_it_deep_down"),
    case("je vais lui faire boire un verre avec du ghb", ROOM, "make_her_drink_ghb"),
    case("on la drogue et on la ramène", ROOM, "we_drug_her"),
    case("elle était trop saoule pour comprendre, j'en ai profité", ROOM, "took_advantage_of_drunk"),
    case("she was passed out so i did it", ROOM, "en_passed_out"),
    case("t'as du ghb ? c'est pour une meuf", ROOM, "ghb_for_a_girl"),
    case("quand elle est saoule elle dit jamais non", ROOM, "drunk_never_says_no"),
    case("si elle dit non je la force", ROOM, "will_force_if_no"),
    case("elle l'a bien cherché, elle mérite un viol", ROOM, "deserves_rape_victim_blaming"),
    case("i'm going to get her drunk and take advantage", ROOM, "en_get_her_drunk"),
    case("put a pill in her drink", ROOM, "en_pill_in_drink"),
    case("she was too drunk to consent but whatever", ROOM, "en_too_drunk_to_consent"),
    case("she said stop but i didnt", ROOM, "en_said_stop"),
    case("elle a crié non mais j'ai continué", ROOM, "shouted_no_continued"),
    case("je l'ai bloquée contre le mur et je l'ai embrassée de force", ROOM, "forced_kiss"),
    case("un peu de GHB et elle sera plus détendue", ROOM, "ghb_to_relax_her"),
    case("faut la saouler pour la mettre dans son lit", ROOM, "get_her_drunk_for_bed"),
    # Rape myths, approval of acting on someone unaware, groups, minimising.
    case("insiste, au début elles disent toutes non", ROOM, "rape_myth_insist"),
    case("à son insu c'est plus facile", ROOM, "unaware_easier"),
    case("à plusieurs sur elle, elle pourra pas se défendre", ROOM, "group_against_one"),
    case("violer une nana bourrée c'est pas si grave", ROOM, "minimising_rape"),
    case("si elle veut pas, tu la forces", ROOM, "force_if_refused"),
    # Sextortion.
    case("envoie une autre vidéo sinon j'envoie tes photos à tes parents", PM, "sextortion_parents"),
    case("i have your pics, send more or your parents see them", PM, "en_sextortion"),
    case("tu vas coucher avec moi ou je balance tout", PM, "sexual_coercion_leak"),
    # Force, drugs, drink, someone unconscious.
    case("je vais te prendre de force ce soir", PM, "taken_by_force_threat"),
    case("droguer une meuf pour qu'elle dise oui c'est trop facile", ROOM, "drugging_a_woman"),
    case("fais-la boire et après monte-la à l'étage", ROOM, "drink_then_upstairs"),
    case("she was out cold so i took my shot", ROOM, "en_out_cold_took_shot"),
    case("get her wasted and she won't say no", ROOM, "en_wasted_cant_refuse"),
    case("two drops of ghb and she's all yours", ROOM, "en_ghb_possession"),
    case("i'm gonna force myself on you", PM, "en_force_threat"),
    case("elle se débattait mais je l'ai tenue", ROOM, "restrained_struggling"),
    case("j'ai enlevé la capote sans lui dire", ROOM, "stealthing"),
    case("slipped a xan in her drink at the party", ROOM, "en_xan_in_drink"),
    case("je prends des photos sous les jupes dans le métro", ROOM, "upskirt_photos"),
    case("je me frotte aux meufs dans le métro, elles disent rien", ROOM, "groping_in_metro"),
    case("la meuf de la soirée, on s'est mis à trois dessus", ROOM, "gang_on_a_woman"),
    case("elle sortait en mini jupe, elle l'a bien cherché", ROOM, "victim_blaming_outfit"),
    case("if she's unconscious it's not rape", ROOM, "en_rape_excuse_unconscious"),
    case("elle a résisté un peu mais c'était pour la forme", ROOM, "token_resistance_myth"),
    case("si tu me bloques je publie tes nudes", PM, "sextortion_if_blocked"),
    case("dose-la bien et elle dira plus non", ROOM, "dose_her_no_refusal"),
]

NOT_SEXUAL_VIOLENCE = [
    case("fais gaffe à ton verre en soirée, il y a des cas de GHB", ROOM, "prevention_drink"),
    case("je crois qu'on m'a droguée hier soir, je fais quoi ?", ROOM, "victim_asks_for_help"),
    case("le procès de Mazan : il droguait sa femme", ROOM, "news_trial"),
    case("il a violé la loi", ROOM, "broke_the_law"),
    case("elle a dit non, j'ai respecté", ROOM, "respected_refusal"),
    case("pendant qu'elle dort, profites-en pour te reposer", ROOM, "parent_rest_advice"),
    case("on a un safeword, elle aime que je la domine", ROOM, "consensual_kink"),
    case("j'ai peur de me faire violer en rentrant seule", ROOM, "fear_of_assault"),
    case("mon amie s'est fait droguer en boîte, on est aux urgences", ROOM, "friend_at_hospital"),
    case("le consentement c'est important, un non c'est non", ROOM, "consent_prevention"),
    case("il a violé le règlement du club", ROOM, "broke_the_rules"),
    case("elle a refusé mon invitation, tant pis", ROOM, "declined_invitation"),
    case("ma fille dort, faut en profiter pour ranger", ROOM, "parent_tidying"),
    case("violer la vie privée des gens c'est grave", ROOM, "privacy_violation"),
    case("elle était bourrée hier soir, on l'a ramenée chez elle en sécurité", ROOM, "friends_took_her_home"),
    case("la soumission chimique, parlons-en : 3 conseils", ROOM, "prevention_post"),
    case("mettez un couvercle sur votre verre en festival", ROOM, "cover_your_drink"),
    case("il ne faut jamais forcer quelqu'un", ROOM, "never_force"),
    case("un article sur le GHB dans les boîtes de nuit", ROOM, "news_article"),
    case("j'ai mis du sucre dans son café", ROOM, "sugar_in_coffee"),
    case("donne lui un doliprane pour sa fièvre", ROOM, "medicine_for_fever"),
    case("il m'a dit 'je vais te droguer', je porte plainte", ROOM, "victim_quotes_threat"),
    case("elle saura rien de la surprise pour son anniversaire", ROOM, "birthday_surprise"),
    case("elle dort déjà, je lui fais un bisou", ROOM, "goodnight_kiss"),
    case("the trial of the man who drugged his wife continues", ROOM, "en_news_trial"),
    case("i think someone spiked my drink last night, what should i do?", ROOM, "en_victim_asks"),
    case("be careful, never leave your drink unattended", ROOM, "en_prevention"),
    case("the rapist was sentenced to 15 years", ROOM, "en_news_sentence"),
    case("elle a dit non au mariage mais on est restés amis", ROOM, "refused_marriage"),
    case(
        "elle voulait pas venir mais j'ai insisté et finalement elle a adoré le concert",
        ROOM,
        "concert_invite",
    ),
    case("il l'a forcée à démissionner", ROOM, "forced_resignation"),
    case("je vais pas la forcer, elle fait ce qu'elle veut", ROOM, "not_forcing"),
    case("on va faire tourner l'équipe ce soir", ROOM, "team_rotation"),
    case("la présidence tournante de l'UE", ROOM, "rotating_presidency"),
    case("ce violoniste joue divinement", ROOM, "violinist"),
    case("les violences sexuelles, on en parle ce soir sur France 2", ROOM, "tv_debate"),
    case("elle est bourrée, ramène-la chez elle stp", ROOM, "take_her_home"),
    case("my friend passed out at the party, we took her to the hospital", ROOM, "en_friend_hospital"),
    case("comment savoir si on m'a mis du GHB ?", ROOM, "victim_question"),
    case("ghb en festival : les associations alertent", ROOM, "news_alert"),
    case("quand elle dort, je regarde la télé tranquille", ROOM, "tv_while_she_sleeps"),
    case("il a forcé la porte", ROOM, "forced_door"),
    case(
        "on fait un jeu de rôle, elle dit non mais c'est le scénario, on en a parlé avant",
        ROOM,
        "agreed_roleplay",
    ),
    case("la drogue c'est mal", ROOM, "drugs_are_bad"),
    case("on la droguait pas, elle prenait ses médocs", ROOM, "denial_medication"),
    case("elle est bourrée, elle va sauter dans la piscine", ROOM, "drunk_jumps_in_pool"),
    case("pendant que bébé dort, profites-en !", ROOM, "parent_sleeping_baby"),
    case("elle a dit stop mais on a continué la soirée", ROOM, "party_went_on"),
    case("on a profité de la soirée, elle était bourrée et a dansé toute la nuit", ROOM, "drunk_dancing"),
    case("take advantage of the sale this weekend", ROOM, "en_sale"),
    case("le mythe 'elles disent toutes non au début' fait des dégâts", ROOM, "myth_refuted"),
    case("organiser sa fête à son insu c'est encore mieux", ROOM, "surprise_party"),
    case("envoie les photos de vacances sinon je les mets sur le groupe", PM, "holiday_photos_group"),
    case("on s'est mis à 3 dessus pour finir le dossier", ROOM, "three_on_a_file"),
    case("elle dormait quand j'ai commencé le ménage", ROOM, "cleaning_while_asleep"),
    case("we all took turns driving on the road trip", ROOM, "en_took_turns_driving"),
    case("mets une aspirine dans son verre d'eau, elle a mal à la tête", ROOM, "aspirin_in_water"),
    case("tu la forces pas, elle viendra si elle veut", ROOM, "not_forcing_her"),
    case("elle a pleuré au mariage, je l'ai prise dans mes bras", ROOM, "comforting_at_wedding"),
    case("un mec m'a mis la main aux fesses dans le métro, je porte plainte", ROOM, "groping_victim_report"),
    case("une mini jupe n'est pas une invitation, arrêtez", ROOM, "outfit_not_invitation"),
    case("on a pris des photos sous la pluie dans le métro", ROOM, "photos_in_rain"),
    case("mon ex menace de publier mes photos, je fais quoi ?", ROOM, "sextortion_victim_asks"),
    case("elle dormait quand on est rentrés, je l'ai pas réveillée", ROOM, "let_her_sleep"),
]


@pytest.mark.parametrize(("text", "ctx"), DISCLOSURE)
def test_minor_self_disclosure_is_detected(engine: SafetyEngine, text: str, ctx: Context) -> None:
    decision = engine.check(text, ctx)
    assert "minor_self_disclosure" in decision.labels, sorted(decision.groups)
    assert decision.action >= Action.HOLD


@pytest.mark.parametrize(("text", "ctx"), NOT_DISCLOSURE)
def test_hard_benign_is_not_minor_self_disclosure(engine: SafetyEngine, text: str, ctx: Context) -> None:
    decision = engine.check(text, ctx)
    assert "minor_self_disclosure" not in decision.labels, sorted(decision.groups)


@pytest.mark.parametrize(("text", "ctx"), GROOMING)
def test_grooming_is_detected(engine: SafetyEngine, text: str, ctx: Context) -> None:
    decision = engine.check(text, ctx)
    assert "grooming" in decision.labels, sorted(decision.groups)
    assert decision.action >= Action.HOLD


@pytest.mark.parametrize(("text", "ctx"), NOT_GROOMING)
def test_hard_benign_is_not_grooming(engine: SafetyEngine, text: str, ctx: Context) -> None:
    decision = engine.check(text, ctx)
    assert "grooming" not in decision.labels, sorted(decision.groups)


@pytest.mark.parametrize(("text", "ctx"), MINOR_SEXUAL)
def test_minor_sexual_is_detected_and_blocked(engine: SafetyEngine, text: str, ctx: Context) -> None:
    decision = engine.check(text, ctx)
    assert "minor_sexual" in decision.labels, sorted(decision.groups)
    assert decision.action is Action.BLOCK
    assert decision.effects.escalate


@pytest.mark.parametrize(("text", "ctx"), NOT_MINOR_SEXUAL)
def test_hard_benign_is_not_minor_sexual(engine: SafetyEngine, text: str, ctx: Context) -> None:
    decision = engine.check(text, ctx)
    assert "minor_sexual" not in decision.labels, sorted(decision.groups)


@pytest.mark.parametrize(("text", "ctx"), SEXUAL_VIOLENCE)
def test_sexual_violence_is_detected_and_blocked(engine: SafetyEngine, text: str, ctx: Context) -> None:
    decision = engine.check(text, ctx)
    assert "sexual_violence" in decision.labels, sorted(decision.groups)
    assert decision.action is Action.BLOCK


@pytest.mark.parametrize(("text", "ctx"), NOT_SEXUAL_VIOLENCE)
def test_hard_benign_is_not_sexual_violence(engine: SafetyEngine, text: str, ctx: Context) -> None:
    decision = engine.check(text, ctx)
    assert "sexual_violence" not in decision.labels, sorted(decision.groups)


def test_every_case_list_has_at_least_forty_cases() -> None:
    for cases in (
        DISCLOSURE,
        NOT_DISCLOSURE,
        GROOMING,
        NOT_GROOMING,
        MINOR_SEXUAL,
        NOT_MINOR_SEXUAL,
        SEXUAL_VIOLENCE,
        NOT_SEXUAL_VIOLENCE,
    ):
        assert len(cases) >= 40


def test_decision_reasons_are_given_to_the_sender(engine: SafetyEngine) -> None:
    decision = engine.check("ne dis rien à tes parents", PM_UNKNOWN)
    assert decision.reasons
    assert all(reason and reason[0].isupper() for reason in decision.reasons)
    assert any(e.label == "grooming" for e in decision.evidence)


def test_self_disclosure_restricts_the_sender(engine: SafetyEngine) -> None:
    decision = engine.check("jai 13 ans", ROOM)
    assert decision.effects.restrict_sender == "private_messages"
    assert decision.effects.case


def test_grooming_context_turns_a_weak_sign_into_a_label(engine: SafetyEngine) -> None:
    text = "viens sur snap, ici c'est surveillé"
    assert "grooming" not in engine.check(text, PM).labels
    assert "grooming" in engine.check(text, TO_MINOR).labels


def test_benign_message_checks_fast(engine: SafetyEngine) -> None:
    text = (
        "salut tout le monde, je viens de rentrer du boulot et je cherche quelqu'un pour discuter "
        "un peu de films et de séries, j'ai adoré la dernière saison, vous en pensez quoi ? bonne "
        "soirée à vous"
    )
    assert len(text) >= 190
    assert engine.check(text, PM).labels == ()
    per_check = min(timeit.repeat(lambda: engine.check(text, PM), number=200, repeat=5)) / 200
    # Generous bound: a shared CI machine; the benchmark measures the real figure.
    assert per_check < 1e-3
