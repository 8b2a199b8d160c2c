"""Threat, hate and harassment: the phrasing families added when tuning recall.

Each family has new synthetic variants it must catch and hard benign look-alikes it must let
through. As in test_safety_offences.py, the engine is built from the five offence lexicons and the
packaged policy only, so that these cases pin those files whatever the other lexicons do.
"""

from __future__ import annotations

import pytest

from causette.safety.engine import SafetyEngine
from causette.safety.policy import Action
from tests.unit.test_safety_offences import ADULTS_PM, ROOM, engine, labels_of

__all__ = ["engine"]  # the shared module-scoped fixture


# --- threat -----------------------------------------------------------------------------------------

THREAT = [
    # "faire la peau" and friends in the present and future tenses
    "jte fais la peau si tu reviens",
    "on te fera bouffer tes dents",
    # blows and injuries
    "je vais te mettre une droite",
    "jte colle une baffe toi",
    "je vais t'en mettre une si tu continues",
    "on va te laisser pour mort",
    "je vais t'envoyer à l'hôpital",
    "tu vas te prendre une raclée",
    # hostile "you will …"
    "tu vas prendre cher sale bâtard",
    "tu vas le regretter sale fdp",
    "tu vas regretter crois-moi",
    "tu vas finir dans la Seine",
    "on va te retrouver en morceaux",
    # the violence stated first
    "te buter, c'est ce que je vais faire",
    # relatives named first, or with another intent
    "ta mère on va la buter",
    "ton frère je vais le poignarder",
    "je rêve de buter toute ta famille",
    "ta famille va payer",
    "your kids will pay",
    # a third person with an insult, or a group plan
    "je vais la défoncer cette salope",
    "on va le buter ce bâtard",
    "on va la coincer et la tabasser",
    "j'ai payé des gars pour te casser les jambes",
    # fire
    "on va cramer ta caisse",
    "je vais mettre le feu chez toi",
    "we're gonna torch ur car",
    "i'll set your house on fire",
    # coming over, being at the door, coming armed, with intimidation
    "on débarque chez toi ce soir, tu vas comprendre",
    "je passe chez toi avec une batte",
    "je suis en bas de chez toi, descends si t'es un homme",
    "je vais venir avec une batte",
    "i'll show up with a knife",
    "we're coming for u",
    # knowing details of the person's life
    "j'ai ta plaque",
    "je sais quel bus tu prends",
    "on sait où bosse ta femme",
    "i know what time you get off work",
    "je connais ton quartier, fais gaffe à toi",
    "ce serait dommage qu'il arrive quelque chose à tes enfants",
    "j'espère que ta voiture est bien assurée",
    # "die, or I will do it"
    "crève avant que je m'en charge",
    "kys or i'll do it myself",
    # blackmail
    "si tu me bloques je publie nos conversations sur insta",
    "envoie 200€ sinon je montre les photos à ta femme",
    "if u don't pay i'll send the video to your boss",
    # attacks on places
    "demain je ramène une bombe au collège",
    "je vais tirer sur tout le monde à la fac",
    "gonna shoot up the mall tomorrow",
    "there's gonna be a shooting at school",
    # spelling
    "jvai tbuter",
    "je vé te tuer",
    "je vais te 🔪",
    # more ways to hurt: thrown, run over, kidnapped, a massacre named
    "je vais te jeter par la fenêtre",
    "on va te pousser sous le métro",
    "je vais te séquestrer",
    "je vais faire un columbine demain",
    # blackmail seen from the audience, or an exposure
    "si tu continues à m'ignorer, tout le monde verra tes photos",
    "tes parents vont recevoir tes nudes",
    "pay me or i leak everything",
    "if you don't send more i'll post the ones i have",
    "je vais balancer ton numéro partout",
    "je vais t'afficher sur insta",
    # English
    "i'll catch you lacking",
    "they'll find your body in a ditch",
    "we're gonna jump you after school",
    "i'll punch ur face in",
    "i'll put u in a wheelchair",
]

THREAT_BENIGN = [
    "je te fais la bise",
    "je te fais ta fête samedi, surprise !",
    "je vais te mettre un pain au chocolat de côté",
    "je vais te faire payer le resto",
    "tu vas prendre cher ce soir 😈",
    "tu vas saigner un peu à la prise de sang",
    "regarde ce film sinon tu vas le regretter",
    "tuer le temps c'est ce que je vais faire",
    "ta soeur je vais la voir demain",
    "ma soeur je vais la tuer elle a mangé mon dessert",
    "je vais le tuer ce chat il a encore vomi",
    "on va le retrouver au café et lui faire une surprise",
    "mes potes vont te chercher à la gare",
    "tes parents vont payer ton permis ?",
    "je vais brûler le gâteau si je regarde pas",
    "i'll set the table",
    "je passe chez toi à 20h, prépare-toi",
    "on vient chez toi avec mes potes pour l'apéro",
    "je suis en bas de chez toi, je t'attends 😘",
    "je viens avec un couteau pour couper le gâteau",
    "i'm coming for you at 8, be ready",
    "je connais tes horaires, je te prends un café ?",
    "j'ai ton ip, je t'ajoute sur le serveur minecraft",
    "je sais où ta mère habite, je lui apporte son colis",
    "je connais ton quartier, j'y ai grandi",
    "je connais ta soeur, elle est trop sympa",
    "ce serait dommage que tu rates ça",
    "ce serait dommage qu'il arrive en retard",
    "range ta chambre avant que je le fasse",
    "si tu trouves pas, je t'envoie le lien",
    "je t'envoie les photos du mariage pour ta famille",
    "il m'a dit sinon il envoie mes photos à ma famille, je fais quoi ?",
    "il y a eu une alerte à la bombe au lycée ce matin",
    "je vais faire un carnage au karaoké",
    "on va faire exploser la boîte ce soir",
    "i'm gonna bomb this exam",
    "i'll put you in the group chat",
    "son insta c'est lea_dbs, allez la suivre",
    "appelez le 06 12 34 56 78 pour réserver",
    "il habite au 5 rue des Lilas, passez le bonjour",
    'dans le film le méchant dit "je sais où tu habites"',
    "je vais te découper une part de gâteau",
    "je vais te tirer les cartes",
    "tu vas payer pour ça ? non c'est offert",
    "je vais donner ton numéro à mon pote pour le taf",
    "tout le monde va voir tes photos, elles sont trop belles",
    "if you don't mind i'll send the pics tomorrow",
    "i'll expose you to some great music",
    "he lives at 5 Elm street, have fun at the party",
    "dis moi juste ta rue, je te trouverai",
]


@pytest.mark.parametrize("text", THREAT)
def test_threat_families_are_blocked(engine: SafetyEngine, text: str) -> None:
    decision = engine.check(text, ADULTS_PM)
    assert "threat" in decision.labels
    assert decision.action is Action.BLOCK


@pytest.mark.parametrize("text", THREAT_BENIGN)
def test_threat_look_alikes_pass(engine: SafetyEngine, text: str) -> None:
    assert "threat" not in labels_of(engine, text)


DOXXING = [
    "voici son num 06 12 34 56 78, harcelez le",
    "her name is Emma Stone, she lives at 5 Elm street, have fun",
    "voilà l'adresse de ce connard : 12 rue des Lilas",
    "elle bosse au Monoprix de Nanterre, allez la défoncer",
    "her insta is lea_x, make her life hell",
]


@pytest.mark.parametrize("text", DOXXING)
def test_doxxing_with_an_incitement_is_blocked(engine: SafetyEngine, text: str) -> None:
    assert "threat" in labels_of(engine, text, ROOM)


def test_doxxing_insult_is_also_harassment(engine: SafetyEngine) -> None:
    labels = labels_of(engine, "voici l'adresse de ce bâtard : 4 rue des Lilas, défoncez-le", ROOM)
    assert "threat" in labels
    assert "harassment" in labels


# --- hate -------------------------------------------------------------------------------------------

HATE = [
    # a group, then a predicate anywhere in the message
    "les roms volent des vélos, c'est des parasites",
    "tous des voleurs ces gitans",
    "les arabes c'est la racaille",
    "les musulmans devraient pas avoir le droit de voter",
    "gays don't deserve equal rights",
    "women are too dumb to drive",
    "les gitans, faut tous les expulser",
    "jews should be deported",
    "les pédés ? qu'ils crèvent",
    "les noirs puent",
    "les homos iront brûler en enfer",
    "les femmes c'est juste bon à faire le ménage",
    "black people are less intelligent",
    "l'homosexualité c'est contre nature",
    "being trans is a mental illness",
    "les africains retournez en Afrique",
    # standalone formulas
    "l'islam c'est une secte de terroristes",
    "musulman de merde",
    "les juifs gouvernent le monde",
    "ching chong",
    "les n*gres",
    "il faudrait une deuxième shoah",
    "un bon arabe est un arabe mort",
    "the only good muslim is a dead muslim",
    "les noirs ne sont pas de vrais français",
    "les handicapés ne servent à rien",
    "trans women are men",
    "une femme trans reste un homme",
]

HATE_BENIGN = [
    "les migrants fuient des passeurs qui sont des criminels",
    "les femmes devraient avoir le droit de choisir",
    "les étrangers n'ont pas le droit de vote aux présidentielles",
    "les handicapés faut les aider",
    "les oiseaux volent, les chats dorment",
    "les femmes volent la vedette à la cérémonie",
    "les femmes sont moins payées que les hommes, c'est injuste",
    "l'islam est une religion de paix",
    "le plastique c'est contre nature",
    "je retourne en Algérie cet été voir ma famille",
    "les migrants sont traités comme des animaux, c'est une honte",
    "les trans sont des humains comme les autres",
    "les femmes ne sont pas des objets",
    "les migrants ne sont pas des criminels",
    "trans women are women",
    "les femmes trans sont des femmes",
    "un bon vin est un vin vieux",
]


@pytest.mark.parametrize("text", HATE)
def test_hate_families_are_blocked(engine: SafetyEngine, text: str) -> None:
    decision = engine.check(text, ROOM)
    assert "hate" in decision.labels
    assert decision.action is Action.BLOCK


@pytest.mark.parametrize("text", HATE_BENIGN)
def test_hate_look_alikes_pass(engine: SafetyEngine, text: str) -> None:
    assert "hate" not in labels_of(engine, text, ROOM)


# --- harassment -------------------------------------------------------------------------------------

HARASSMENT = [
    "what a stupid cow",
    "quelle grosse conne",
    "crève sale chien",
    "shut up loser",
    "get lost you freak",
    "u suck",
    "personne veut te parler ici",
    "t'as le QI d'une huître",
    "no wonder ur single",
    "t'es qu'une tchoin",
    "t'es pathétique",
    "t'es un gros blaireau",
    "sale moche",
    "fat ugly cow",
    "t'es autiste ou quoi",
    "ta mère est une pute",
    "ur mom is a whore",
    "worthless piece of shit",
    "wh*re",
    "gros tas de merde",
    "tais-toi connard",
    "nik ta mère",
    "t'es un 🤡",
    "🖕",
]

HARASSMENT_BENIGN = [
    "contact tg",
    "dispo tg ou snap",
    "quel con je suis",
    "what an idiot I am",
    "crevé, je vais dormir",
    "ok boomer",
    "you suck at this game lol",
    "personne ne veut venir ce soir ?",
    "c'est pathétique ce match",
    "t'inquiète pas, t'es pas nulle",
    "t'es belle et gentille",
    "ta mère est tellement gentille",
    "mon fils est autiste",
    "your mom is so nice",
    "lol idiot que je suis",
]


@pytest.mark.parametrize("text", HARASSMENT)
def test_harassment_families_warn(engine: SafetyEngine, text: str) -> None:
    decision = engine.check(text, ADULTS_PM)
    assert "harassment" in decision.labels
    assert decision.action is Action.WARN


@pytest.mark.parametrize("text", HARASSMENT_BENIGN)
def test_harassment_look_alikes_pass(engine: SafetyEngine, text: str) -> None:
    assert "harassment" not in labels_of(engine, text)


@pytest.mark.parametrize("text", ["sale youpin", "espèce de bougnoule", "bougnoule va"])
def test_slur_in_a_private_message_is_also_harassment(engine: SafetyEngine, text: str) -> None:
    labels = labels_of(engine, text)
    assert "hate" in labels
    assert "harassment" in labels


NOT_AIMED = ["je suis pd et fier, et toi ?", "il m'a traité de sale youpin, je fais quoi ?"]


@pytest.mark.parametrize("text", NOT_AIMED)
def test_reclaimed_words_and_reports_are_not_harassment(engine: SafetyEngine, text: str) -> None:
    assert "harassment" not in labels_of(engine, text)
