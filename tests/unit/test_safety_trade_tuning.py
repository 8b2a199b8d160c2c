"""Recall tuning of the trade and contact lexicons: drugs, prostitution, spam, contact_exfiltration,
ambush_risk.

Each family of phrasings added to the lexicons has new synthetic variants here (French and English,
chat spelling), with hard benign messages that look like them and must pass. All cases are
synthetic: fake numbers, invented handles, ".example" domains. The engine is built from these five
lexicon files and the packaged policy only.
"""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from causette.safety.engine import Context, Decision, SafetyEngine
from causette.safety.lexicon import load_labels, required_literals
from causette.safety.policy import load_policy

LABELS = ("drugs", "prostitution", "spam", "contact_exfiltration", "ambush_risk")
LEXICONS = resources.files("causette.safety").joinpath("lexicons")

ROOM = Context(channel="room", sender_age=33)
PM = Context(channel="pm", sender_age=31, recipient_age=27)
PM_TO_MINOR = Context(channel="pm", sender_age=31, recipient_age=15)


@pytest.fixture(scope="module")
def engine() -> SafetyEngine:
    return SafetyEngine(load_labels(LABELS), load_policy())


def check(engine: SafetyEngine, text: str, ctx: Context) -> Decision:
    return engine.check(text, ctx)


# --- drugs ------------------------------------------------------------------------------------------
DRUGS = [
    # prescription drugs without a prescription, and "who sells?"
    "qqn vend du tramadol sans ordo ?",
    "je cherche du rivotril sans ordonnance",
    "anyone selling oxy without a prescription?",
    "who sells xans around here",
    "quelqu'un vend de la beuh sur Nantes ?",
    # a drug emoji with sales talk
    "promo sur les 🍃 ce week-end, 2 achetés 1 offert",
    "💊❄️ 2 pour 1 ce soir seulement",
    "🍄 prix en mp",
    # "still got that …", taking a number of them
    "you still got that white? i'll take 3",
    "t'as encore de la blanche ? j'en prends 2",
    "you still got that weed?",
    "yo who got the loud",
    # a named drug with a request or an offer
    "qui veut de la keta pour la soirée ?",
    "weed de qualité, envoie un mp",
    "je dépanne si besoin, beuh et shit",
    "can anyone sort me out with some weed",
    "who can hook me up with some xans",
    "trop bien ta weed hier, t'en as encore ?",
    "ketamine pas cher",
    # containers and money-sized amounts
    "un 10 de beuh stp",
    "tu peux me trouver un 20 de shit ?",
    "sachet de coke 60",
    "a quarter of weed for tonight?",
    # something to smoke
    "qui a de quoi fumer ce soir ?",
    "anyone got something to smoke?",
    # drugs in general, the dealer
    "je vends de la drogue",
    "stupéfiants à vendre",
    "need some drugs tonight",
    "dealer dispo 24/7",
    "je cherche un vendeur de beuh",
    # weights with a price, per-piece prices
    "1 oz for 200",
    "eighths for 30",
    "pilules 10 balles la pièce",
    "xans $5 each",
    "tu me fais un prix pour 10g ?",
    # emoji as the price or the thing asked for
    "❄️ 80",
    "t'as du 🍃 ?",
    "besoin de 🍃 ce soir",
    # order channel and delivery hours
    "la carte est dispo, commande en pv, livraison 7j/7",
    "dispo 7/7 de 14h à 2h, commande sur snap",
    # buyers' slang
    "anyone holding tonight?",
    "where can i score some molly",
    # fetching or dropping off a named drug, dealers' bag sizes
    "on se capte pour la beuh ?",
    "viens chercher ta beuh",
    "tu me ramènes de la coke ce soir ?",
    "je t'en garde un pochon",
    "can i get a dime bag?",
]

DRUGS_BENIGN = [
    "on peut acheter de la codéine sans ordonnance en pharmacie ?",
    "mon médecin m'a prescrit du xanax",
    "promo -20% sur les vitamines 💊 à la pharmacie",
    "🍫 promo sur les tablettes Milka",
    "i'll take the snow over the rain any day",
    "the ice cream is white, i'll take 2 scoops",
    "ill take 2 coffees please",
    "la weed c'est pas pour moi, j'en parle en mp si tu veux",
    "i'm looking for some bud light for the party",
    "he came home late, selling his car tomorrow",
    "un 10 de moyenne c'est pas ouf",
    "j'ai vu un sachet de coke par terre à la gare",
    "sachet de thé vert 5€",
    "qui a de quoi fumer ? une clope svp",
    "la drogue est dispo partout dans les cités, c'est grave",
    "tu crois que je vends de la drogue ? mdr",
    "la vente de drogue est interdite",
    "cherche de la drogue pour mon exposé sur les addictions",
    "le dealer du coin est dispo tout le temps lol",
    "1 oz of gold for 2000",
    "t-shirts 10 balles la pièce",
    "10 balles la pièce, qui veut ?",
    "combien pour 10g de farine",
    "il neige ❄️ 3",
    "tu veux du 🍫 ?",
    "🍕 12",
    "gâteaux sur commande en mp, livraison sur Lyon",
    "bouquets de fleurs, commande en mp, livraison 7j/7",
    "j'en prends 2 des crêpes",
    "un quart de pizza",
    "merci pour la coke zéro",
    "j'ai été arrêté pour la beuh il y a 10 ans",
    "sorry for the shit i said",
    "passe moi le pochon pour la soupe",
    "viens chercher ta barrette à cheveux",
]


@pytest.mark.parametrize("text", DRUGS)
def test_drug_trade_families(engine: SafetyEngine, text: str) -> None:
    decision = check(engine, text, ROOM)
    assert "drugs" in decision.labels, sorted(decision.groups)


@pytest.mark.parametrize("text", DRUGS_BENIGN)
def test_drug_lookalikes_pass(engine: SafetyEngine, text: str) -> None:
    decision = check(engine, text, ROOM)
    assert "drugs" not in decision.labels, sorted(decision.groups)


# --- prostitution -----------------------------------------------------------------------------------
PROSTITUTION = [
    # euphemisms for selling sex, housing for sex
    "je loue mon corps, discrétion",
    "selling my charms, hotel visits only",
    "chambre gratuite contre quelques services",
    # rates in private, with a person or a setting
    "jeunes femmes dispo pour soirées privées, tarifs en mp",
    "new girl in town, ask for my rates",
    "escort de luxe, tarifs en mp",
    # women for private parties, with pay
    "on recrute des étudiantes pour des soirées VIP, 400€ la soirée",
    "hostesses wanted for private events, 1000 a night",
    "we need girls for vip parties, great pay",
    # men who pay, introduced to the reader
    "je te présente des messieurs qui payent bien",
    "there are men who will pay for your company",
    "je te mets en relation avec des hommes généreux",
    # gifts as the price
    "dispo pour des moments coquins contre petit cadeau",
    "câlins en échange d'une petite participation",
    "cadeau obligatoire, rdv discret à l'hôtel",
    "gifts only, incall tonight",
    # an act for a price, a buyer's offer
    "plan cul contre 150 ?",
    "combien tu prends pour la nuit ?",
    "qui veut 200€ pour une nuit avec moi ?",
    "i'll give you 200 for a night",
    "je cherche une femme pour une nuit, 300€",
    # rent or bills for favours
    "je paie ton loyer en échange de quelques soirées",
    "i'll cover your rent if you're nice to me",
    # the pimp's share
    "tu ramènes 500 par soir et tu gardes la moitié",
    "je prends 50% sur chaque client",
    # generous men, sugar arrangements
    "homme généreux cherche jeune femme pour rendez-vous discrets",
    "looking for a generous man tonight",
    # sexual content for sale
    "nudes dispo contre pcs",
    "snap privé payant, 10€ l'abonnement",
    "selling pics and vids, cashapp only",
    "tu veux voir plus ? c'est 15€ sur paypal",
    "je me déshabille en cam pour 30€",
    # third-person ads
    "je reçois messieurs courtois à Lyon",
    "dispo pour vous messieurs, à l'hôtel",
    "ts reçoit 7j/7",
    "nouvelle sur Lyon, 🌹 100 la demi-heure",
    # recruiting with money, new girls
    "qui veut gagner de l'argent avec son corps ?",
    "girls who want to make money, hmu",
    "des nouvelles filles dispo ce week-end, contactez moi",
    "arrondis tes fins de mois avec des rencontres",
    # codes
    "massage californien et plus si affinités, 100€",
    "looking for paid fun tonight",
    "bbbj 100",
    # sugar codes, companionship for men, buyers asking where and how much
    "treat me right, generous only",
    "arrangement mutuellement bénéfique, dm",
    "étudiante cherche homme aisé pour arrangement",
    "jeune femme propose compagnie pour hommes seuls",
    "tu reçois où ? c'est combien ?",
    "i want to book you for tonight, how much?",
]

PROSTITUTION_BENIGN = [
    "bj tout le monde",
    "bj 50 ans de mariage",
    "tarif en mp, vélo dispo ce week-end",
    "cours de guitare, tarifs en mp, je me déplace",
    "massage relaxant, tarifs en mp",
    "je vends ma voiture, tarif en mp, dispo ce soir",
    "on cherche des filles pour animer la soirée privée du club de foot",
    "on a eu une soirée privée entre filles, trop bien",
    "les filles, la soirée privée c'est 20€ par personne",
    "je te présente des mecs qui payent bien leurs employés",
    "pas de cadeau obligatoire pour l'anniv",
    "je te rends ta perceuse contre un petit cadeau mdr",
    "il m'a offert un cadeau pour notre rencontre",
    "on se fait un plan resto contre 20€ chacun ?",
    "la nuit contre 18 degrés",
    "rdv a 20 h contre le mur",
    "full 100% d'accord",
    "je passe à 80 km/h",
    "je t'envoie 20€ pour la soirée, merci",
    "je te donne 20€ si tu viens m'aider",
    "ses parents payent son loyer en échange de bonnes notes",
    "je paie ton loyer ce mois ci si tu es gentille, tu me rembourses après",
    "je prends la moitié de la pizza",
    "on partage 50 50 l'addition",
    "je prends 50 % de réduction chez h&m",
    "mon père est un homme généreux avec les femmes de la famille",
    "c'est un homme généreux, il a aidé toutes les filles du club",
    "ne partagez jamais vos nudes, même payant",
    "un mec vend des nudes de mon ex sur snap, je porte plainte",
    "la photo privée du match, 10€ sur paypal",
    "bonjour messieurs, je me déplace à domicile pour vos travaux",
    "mesdames et messieurs, je reçois le prix",
    "je cherche une femme de ménage, 15€ l'heure",
    "je cherche une fille au pair, logée, 300€ par mois",
    "new girls in the team this week",
    "j'ai des nouvelles des filles du club",
    "les filles qui veulent gagner de l'argent, le babysitting c'est top",
    "gagne de l'argent avec des rencontres clients pour ta boîte",
    "sugar daddy c'est un film nul",
    "services de compagnie pour personnes âgées, 20€ de l'heure",
    "je cherche un arrangement avec mon proprio",
    "tu reçois où pour l'anniv ? c'est combien la salle ?",
]


@pytest.mark.parametrize("text", PROSTITUTION)
def test_prostitution_families(engine: SafetyEngine, text: str) -> None:
    decision = check(engine, text, ROOM)
    assert "prostitution" in decision.labels, sorted(decision.groups)


@pytest.mark.parametrize("text", PROSTITUTION_BENIGN)
def test_prostitution_lookalikes_pass(engine: SafetyEngine, text: str) -> None:
    decision = check(engine, text, ROOM)
    assert "prostitution" not in decision.labels, sorted(decision.groups)


def test_pimping_pitch_is_not_spam(engine: SafetyEngine) -> None:
    # Sex work recruiting is the prostitution label's case, not an advertisement.
    text = "tu veux te faire de l'argent facile ? je te trouve des clients, je prends 30 %"
    decision = check(engine, text, PM)
    assert "prostitution" in decision.labels and "spam" not in decision.labels


# --- spam -------------------------------------------------------------------------------------------
SPAM = [
    # debts and credits
    "rachat de crédit sans frais, contactez moi",
    "j'efface tes dettes en 48h, écris moi",
    "debt relief in 24h, dm me",
    # money flipping
    "send me $50 in gift cards and get $500 back",
    "verse 100€ en coupon transcash et tu récupères 1000€",
    "je double ton argent en 24h, envoie via paypal",
    # chain letters
    "transfère ce message à 20 contacts ou tu auras 10 ans de malheur",
    "forward this to 10 people or you'll have bad luck",
    "copie colle ce message dans 10 salons",
    # other sites with their link
    "viens sur mon site de rencontre, bien mieux qu'ici : rencontres-chaudes.example",
    "new dating site, free signup 👉 date-now.example",
    # phishing
    "ton compte sera supprimé, vérifie ici : causette-secure.example",
    "votre colis est bloqué, payez les frais ici",
    "your account has been suspended, verify here",
    # shady goods, prizes
    "abonnement iptv 12 mois 30€",
    "vente de comptes netflix 5€ par mois, dm",
    "gagne un iphone en répondant à ce sondage",
    # a server invitation that lures with a gain
    "join our server for free nitro: discord.gg/fake123",
]

SPAM_BENIGN = [
    "j'ai fait un rachat de crédit avec ma banque",
    "ma banque m'a proposé un regroupement de crédits, vous en pensez quoi ?",
    "envoie moi 10€ et je t'envoie les 10€ demain",
    "i'll send u a gift card for your birthday",
    "j'ai envoyé ce message à 3 personnes",
    "tu peux transférer ce message à tes 2 parents ?",
    "dating site tips: be honest, check datingadvice.com",
    "le meilleur site pour apprendre l'anglais c'est duolingo.com",
    "inscris toi sur leboncoin.fr pour vendre ton vélo",
    "mon colis est bloqué à la douane, je dois payer les frais ?",
    "c'est quoi l'iptv ? c'est légal ?",
    "j'ai gagné un iphone au concours du lycée",
    # a server or group invitation is a contact shared, not an advertisement
    "rejoins mon serveur discord : discord.gg/fake123",
    "le groupe du club c'est par ici : chat.whatsapp.com/FakeLink, venez nombreux",
]


@pytest.mark.parametrize("text", SPAM)
def test_spam_families(engine: SafetyEngine, text: str) -> None:
    decision = check(engine, text, ROOM)
    assert "spam" in decision.labels, sorted(decision.groups)


@pytest.mark.parametrize("text", SPAM_BENIGN)
def test_spam_lookalikes_pass(engine: SafetyEngine, text: str) -> None:
    decision = check(engine, text, ROOM)
    assert "spam" not in decision.labels, sorted(decision.groups)


def test_spam_link_also_counts_as_contact(engine: SafetyEngine) -> None:
    decision = check(engine, "Earn $300 a day from home 👉 quick-cash.example", ROOM)
    assert {"spam", "contact_exfiltration"} <= set(decision.labels)


# --- contact_exfiltration -----------------------------------------------------------------------------
CONTACT = [
    # handles after an app name, in many spellings
    "kik me: lea_fake92",
    "snap moi : kev_75",
    "insta -> @ lea.bzh",
    "insta — lea.bzh",
    "snap → kev_75",
    "mon pseudo insta est lea_bzh",
    "sur snap je suis lea_bzh",
    "wickr: leafake",
    # a handle then the app, an invitation then a handle
    "je suis kevin75 sur snap",
    "@lea.b92 sur insta",
    "ajoute moi : kevin_dlm92",
    "add me kev_75",
    # links
    "mon site: easy-cash.example",
    "regarde youtu.be/FakeVid1",
    "tout est là: linktr.ee/lea_fake",
    # numbers read aloud with "oh", North American numbers with a phone word
    "call me: oh six one two three four five six seven eight",
    "text me 202-555-0143",
    "call me at (555) 012-3456",
    # country codes (also the made-up ranges libphonenumber refuses), British mobiles
    "whatsapp me +44 7700 900456",
    "+32 470 12 34 56",
    "hit me up 07700900456",
]

CONTACT_BENIGN = [
    "je suis h24 sur snap",
    "ajoute moi en ami sur causette",
    "insta - trop bien",
    "snap est nul",
    "j'ai 2 ans sur insta",
    "le score est 2024-2025, appelle moi",
    "appelle le 3018",
    "appelle le 17 ou le 112",
    "subscribe to my channel, link in bio",
    "+1 000 000 de vues",
    "+20 % de croissance cette année",
    "ok.ca va",
    "tu.es où ?",
]

# Asking for a contact, offering it without giving it, or naming an app: not a share between
# adults, held towards a minor.
ASKS = [
    "c'est quoi ton snap ?",
    "t'as insta ?",
    "donne moi ton num",
    "viens sur snap on sera mieux",
    "tu veux mon snap ?",
    "what's your number?",
]


@pytest.mark.parametrize("text", CONTACT)
def test_contact_share_families(engine: SafetyEngine, text: str) -> None:
    decision = check(engine, text, PM)
    assert "contact_exfiltration" in decision.labels, sorted(decision.groups)


@pytest.mark.parametrize("text", CONTACT_BENIGN)
def test_contact_lookalikes_pass(engine: SafetyEngine, text: str) -> None:
    decision = check(engine, text, PM)
    assert "contact_exfiltration" not in decision.labels, sorted(decision.groups)


def test_room_mention_is_not_a_contact(engine: SafetyEngine) -> None:
    assert "contact_exfiltration" not in check(engine, "@Marion75 t'es pénible", ROOM).labels


@pytest.mark.parametrize("text", ASKS)
def test_asking_for_a_contact_is_labelled_only_towards_a_minor(engine: SafetyEngine, text: str) -> None:
    assert "contact_exfiltration" not in check(engine, text, PM).labels
    assert "contact_exfiltration" in check(engine, text, PM_TO_MINOR).labels


# --- ambush_risk ------------------------------------------------------------------------------------
AMBUSH = [
    "ne dis à personne où tu vas ce soir, rejoins moi",
    "laisse ton téléphone chez toi et viens",
    "dis à ta mère que tu dors chez une copine",
    "can you sneak out tonight?",
    "envoie moi une photo de ta porte d'entrée",
    "send me a pic of your street",
    "je serai en bas de ton immeuble à 22h",
    "i'll wait outside your building",
    "c'est quoi le nom sur ta boîte aux lettres ?",
    "t'habites où ? je suis dans le coin",
    "where do you live? i'm in the area",
    "rendez-vous à la gare désaffectée",
    "meet me by the river at night, no one around",
    "c'est quoi ton code de porte",
]

AMBUSH_BENIGN = [
    "laisse ton tel tranquille et viens manger",
    "tu as laissé ton tel chez moi hier",
    "we used to sneak out as kids",
    "personne te verra jamais comme moi je te vois",
    "il m'a dit de sortir en cachette, c'est normal ?",
    "on se voit au café ? y aura personne à cette heure",
    "tu habites toujours chez tes parents ? je passe ce soir avec les autres",
]


@pytest.mark.parametrize("text", AMBUSH)
def test_ambush_families(engine: SafetyEngine, text: str) -> None:
    decision = check(engine, text, PM)
    assert "ambush_risk" in decision.labels, sorted(decision.groups)


@pytest.mark.parametrize("text", AMBUSH_BENIGN)
def test_ambush_lookalikes_pass(engine: SafetyEngine, text: str) -> None:
    decision = check(engine, text, PM)
    assert "ambush_risk" not in decision.labels, sorted(decision.groups)


def test_home_photo_counts_in_private_only(engine: SafetyEngine) -> None:
    text = "prends une photo de ta maison pour le concours photo"
    assert "ambush_risk" not in check(engine, text, ROOM).labels
    assert "ambush_risk" in check(engine, text, PM).labels


# --- the files themselves ---------------------------------------------------------------------------
# Patterns without a literal for the prefilter run on every message: only these, which read
# punctuation the prefilter cannot anchor on, are allowed to.
ALWAYS_RUN = {"link", "email", "qmark", "percent_rate", "percent_off"}


@pytest.mark.parametrize("label", LABELS)
def test_patterns_have_a_prefilter_literal(label: str) -> None:
    data = tomllib.loads(LEXICONS.joinpath(f"{label}.toml").read_text(encoding="utf-8"))
    for section in ("patterns", "plain_patterns"):
        for name, pattern in data.get(section, {}).items():
            if name not in ALWAYS_RUN:
                assert required_literals(pattern) is not None, f"{label}.{name} has no prefilter literal"
