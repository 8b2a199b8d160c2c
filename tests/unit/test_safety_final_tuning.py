"""Drugs, spam and threat: the phrasing families added in the final recall tuning.

Each family has new synthetic variants it must catch and hard benign look-alikes it must let
through. The engine is built from these three lexicons, the ones their rules refer to
(contact_exfiltration, harassment, hate) and the packaged policy, so that these cases pin the
three files whatever the other lexicons do. Benign cases only assert that none of the three
labels applies.
"""

from __future__ import annotations

import pytest

from causette.safety.engine import Context, SafetyEngine
from causette.safety.lexicon import load_labels
from causette.safety.policy import load_policy

LABELS = ("drugs", "spam", "threat", "contact_exfiltration", "harassment", "hate")
MINE = {"drugs", "spam", "threat"}
ADULTS_PM = Context(channel="pm", sender_age=34, recipient_age=29)


@pytest.fixture(scope="module")
def engine() -> SafetyEngine:
    return SafetyEngine(load_labels(LABELS), load_policy())


def labels_of(engine: SafetyEngine, text: str) -> tuple[str, ...]:
    return engine.check(text, ADULTS_PM).labels


DRUGS = [
    # the one-letter code for cocaine, asked for
    "t'aurais pas de la C pour ce soir ?",
    "qqn a de la c ? je suis en bas",
    # grams or dealer's units taken without naming the drug
    "je t'en prends 3 pochons demain",
    "il m'en faut 5g pour samedi",
    # "dépanner en …", paying cash
    "tu peux me dépanner en shit ? je paie en liquide",
    "qui me dépanne en beuh ce soir",
    # sellers' weed slang and prices per eighth / zip
    "i got that loud za, 30 an eighth",
    "we got gas pack, 50 the zip hmu",
    # sedatives used to drug someone, asked for
    "je cherche du rohypnol, je paye cash",
    "who got roofies? dm me",
    "tu connais qqn qui a de la drogue du violeur ? je paye",
]

DRUGS_BENIGN = [
    "livraison 24/7 pour les burgers, trop pratique",
    "uber eats livre les sushis 7j/7 maintenant",
    "attention à la drogue du violeur en soirée, surveillez vos verres",
    "elle a été droguée au GHB en boîte, elle a porté plainte",
    "pour le gâteau j'en prends 200 g de farine",
    "de la levure ? j'en prends 1 g pour la recette",
    "c'est de la C-section qu'elle parlait ?",
    "j'ai payé cash la voiture",
    "tu peux me dépanner en sucre ? j'ai plus rien",
]

SPAM = [
    # pay per click, video, survey
    "Gagnez 5€ par vidéo regardée, infos en mp",
    "gagne de l'argent facilement : 2€ par sondage rempli",
    "make money online, $3 per click, dm me",
    # crypto airdrops and wallet phishing
    "free airdrop ! connect your wallet here to claim your tokens: claim-drop.example",
    "tokens gratuits pour les 100 premiers, relie ton wallet : free-token.example",
    # a site "back" or moved, everyone sent there
    "Le tchat est de retour !! venez tous sur tchat-retour.example",
    "we moved! join us at newchat.example",
    "le nouveau coco c'est ici : coco2.example",
]

SPAM_BENIGN = [
    "j'ai gagné au loto mdr",
    "mon pote est de retour de vacances, regarde ses photos sur photos.example",
    "la piscine est de retour, allez voir les horaires",
    "pour voir tes nft connecte ton wallet à ton appli",
    "j'ai trouvé un sugar daddy lol non je rigole",
    "la boulangerie a rouvert, allez sur leur site boulangerie.example pour les horaires",
    "il gagne 2€ par vidéo sur youtube, c'est rien",
    # sugar offers for evenings together are the prostitution label's case, not spam
    "je cherche une sugar baby, 800€/mois contre 3 soirs par semaine",
    # paid pictures of oneself are the minor_sexual / prostitution labels' case
    "tu veux te faire de l'argent avec tes photos ? mp",
]

THREAT = [
    # doxxing with a "visit" incitement
    "voici l'adresse de ce mouchard : 15 rue des Lilas, faut lui rendre une petite visite",
    "son adresse c'est 3 allée des Pins, qui va lui rendre visite ce soir ?",
    # "tu vas finir …"
    "tu vas finir au fond de l'eau",
    "tu vas finir en fauteuil roulant",
    # knowing where someone lives, with the street recited
    "je sais où tu habites, 7 rue Victor Hugo, à ce soir",
    "we know where you live, 12 Elm Street, see you tonight",
    # beating up, English
    "ima beat you up when i see you",
    "i'm gonna beat the crap out of you",
    "i'll kick your ass when i find you",
]

THREAT_BENIGN = [
    "i'll kick your ass at fifa tonight lol",
    "je sais où tu habites, 12 rue des Lilas, je passe te prendre à 8h",
    "je vais lui rendre visite à l'hôpital demain",
    "l'adresse de la soirée c'est 12 rue Victor Hugo, allez-y nombreux",
    "my mom is gonna kick my butt if i'm late lol",
    "on a fini au fond du canal en kayak mdr",
]


@pytest.mark.parametrize("text", DRUGS)
def test_drugs_families(engine: SafetyEngine, text: str) -> None:
    assert "drugs" in labels_of(engine, text)


@pytest.mark.parametrize("text", SPAM)
def test_spam_families(engine: SafetyEngine, text: str) -> None:
    assert "spam" in labels_of(engine, text)


@pytest.mark.parametrize("text", THREAT)
def test_threat_families(engine: SafetyEngine, text: str) -> None:
    assert "threat" in labels_of(engine, text)


@pytest.mark.parametrize("text", DRUGS_BENIGN + SPAM_BENIGN + THREAT_BENIGN)
def test_hard_benign(engine: SafetyEngine, text: str) -> None:
    assert not MINE & set(labels_of(engine, text))
