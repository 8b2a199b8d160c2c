"""The offence lexicons: prostitution, drugs, threat, hate, harassment.

Each label has synthetic messages it must catch (French and English, chat spelling, evasions)
and hard benign messages it must let through: homonyms, jokes, news, prevention, and victims
quoting what was said to them. The engine is built from these five lexicon files and the
packaged policy only, so that the cases pin these files whatever the other lexicons do.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources

import pytest

from causette.safety.engine import Context, Recent, SafetyEngine
from causette.safety.lexicon import load_labels
from causette.safety.policy import Action, load_policy

LABELS = ("prostitution", "drugs", "threat", "hate", "harassment")
LEXICONS = resources.files("causette.safety").joinpath("lexicons")


@pytest.fixture(scope="module")
def engine() -> SafetyEngine:
    return SafetyEngine(load_labels(LABELS), load_policy())


ADULTS_PM = Context(channel="pm", sender_age=34, recipient_age=29)
ROOM = Context(channel="room", sender_age=41)


def labels_of(engine: SafetyEngine, text: str, ctx: Context = ADULTS_PM) -> tuple[str, ...]:
    return engine.check(text, ctx).labels


# --- prostitution -----------------------------------------------------------------------------------

PROSTITUTION = [
    "150 roses l'heure, je reçois sur Paris 15e",
    "100r la demi-heure, 150r l'heure, pas de numéro masqué",
    "JF 24 ans reçoit messieurs courtois, discrétion assurée",
    "escort girl dispo ce soir sur Lyon, mp pour tarifs",
    "je suis escort, dispo pour rdv rémunéré",
    "massage + finition 80€, je me déplace",
    "massage avec finition dispo ce soir en pv",
    "sugar daddy cherche jeune femme pour arrangement mensuel",
    "étudiante cherche sugar daddy généreux",
    "plan tarifé ce soir ? je reçois",
    "dispo pour rdv rémunéré, écris moi",
    "rencontres tarifées, discrétion assurée",
    "je cherche des filles pour travailler, bien payé",
    "tu veux te faire de l'argent facile ? viens en pv",
    "recrute jeunes femmes motivées pour escort, gros gains",
    "j'ai des filles dispo pour toi ce soir",
    "combien pour une pipe ?",
    "c'est combien la passe ?",
    "tu prends combien pour la nuit ? je veux coucher avec toi",
    "je te paye pour coucher avec moi, 100€ ça te va ?",
    "1h 150, 30min 100, la nuit 800, je reçois ou je me déplace",
    "200€ l'heure, rapport complet protégé",
    "150🌹 la demi-heure, dispo 7j/7",
    "💋 dispo ce soir 100€",
    "plan rémunéré pour homme généreux, mp",
    "vends mes nudes, 20€ le pack, paypal",
    "escort boy disponible sur Paris, tarifs en mp",
    "incall/outcall available, 200 roses per hour",
    "escort available tonight, $300/hr, text me",
    "looking for a sugar daddy, allowance required",
    "how much for a night with you?",
    "I'll pay you for sex, name your price",
    "looking for girls who want to make money, I find the clients",
    "call girl dispo Marseille, pas de sms",
    "body body et finition, 120 roses",
    "TS reçoit sur Paris 17, hygiène irréprochable",
    "je m'occupe des clients, tu gardes la moitié",
    "ça te dirait de gagner de l'argent facilement ? juste des rdv avec des messieurs",
    "Tarifs : 30 min = 80€, 1h = 150€, discrétion",
    "cherche escort pour ce soir",
    "3sc0rt dispo, 1h 200",
    "p.l.a.n tarifé ce soir",
    "je propose des massages naturistes avec finition",
    "qui veut passer un moment avec moi contre quelques roses ?",
    "tu veux gagner 500€ en une soirée ?",
    "je recrute des hôtesses pour soirées privées, très bien rémunéré",
    "pour 50 balles je te suce",
    "c'est 80 la demi heure, 120 l'heure",
    "tu fais payer combien pour une nuit ?",
    "viens bosser pour moi, t'auras des clients tous les soirs",
    "plan cul rémunéré ça te dit ?",
]

PROSTITUTION_BENIGN = [
    "les roses de mon jardin ont enfin fleuri",
    "j'ai acheté un bouquet de 12 roses pour ma mère",
    "50 roses rouges pour la Saint-Valentin, elle a adoré",
    "il m'a offert 24 roses pour notre anniversaire",
    "un massage de dos après le sport ça fait du bien",
    "massage thaï chez l'esthéticienne, 45€ les 30 min, trop bien",
    "je vends ma Ford Escort, 1200€, contrôle technique ok",
    "t'es dispo ce soir pour un verre ?",
    "je reçois des amis ce soir, tu veux venir ?",
    "je reçois mes parents ce week-end",
    "babysitting 12€ de l'heure, je suis dispo le mercredi",
    "cours de maths 20€/h, je me déplace",
    "l'hôtel coûte 90€ la nuit, c'est correct",
    "le parking c'est 3€ l'heure",
    "un réseau de proxénètes démantelé à Lyon, 12 arrestations",
    "j'ai vu un reportage sur les escort girls, c'était glaçant",
    "on se fait un plan ce soir ? chez moi ou chez toi",
    "t'es trop belle, ça te dit un resto ?",
    "je te paye un verre si tu veux",
    "c'est combien le ticket de métro ?",
    "tu prends combien de sucres dans ton café ?",
    "c'est quoi tes tarifs pour un logo ?",
    "je gagne 15€ de l'heure au taf",
    "je cherche des filles pour compléter notre équipe de foot",
    "on cherche des meufs pour la coloc, loyer 400€",
    "je suis généreux avec mes potes, je paye toujours l'apéro",
    "le film Sugar Daddy était nul",
    "escorte policière pour le convoi du président",
    "100 roses blanches pour le mariage de ma soeur",
    "I bought her a dozen roses for Valentine's",
    "the hotel was 120 dollars a night, worth it",
    "this escort mission in the game is so annoying",
    "babysitter needed, 15 dollars an hour",
    "how much for the ps5?",
    "happy ending pour ce film, j'ai pleuré",
    "j'ai reçu 200€ de prime ce mois-ci",
    "rdv chez le coiffeur à 15h, 30€ la coupe",
    "je suis dispo pour un rdv demain à 14h",
    "elle a reçu 50 roses pour ses 50 ans",
    "le parking c'est 4€ la demi-heure et 7€ l'heure",
    "je vais au spa, massage 60€ la demi heure, 100€ l'heure",
    "je te paye le resto ce soir",
    "tu prends combien de temps pour venir ?",
    "je suis fleuriste, bouquet de roses dispo",
]


@pytest.mark.parametrize("text", PROSTITUTION)
def test_prostitution_is_held(engine: SafetyEngine, text: str) -> None:
    decision = engine.check(text, ADULTS_PM)
    assert "prostitution" in decision.labels
    assert decision.action is Action.HOLD


@pytest.mark.parametrize("text", PROSTITUTION_BENIGN)
def test_prostitution_homonyms_pass(engine: SafetyEngine, text: str) -> None:
    assert "prostitution" not in labels_of(engine, text)


def test_prostitution_price_after_an_ad_in_the_same_conversation(engine: SafetyEngine) -> None:
    ad = engine.check("massage avec finition, je reçois", ADULTS_PM)
    followup = Context(
        channel="pm", sender_age=34, recipient_age=29, recent=(Recent(from_sender=True, groups=ad.groups),)
    )
    assert "prostitution" in engine.check("100€ et c'est bon", followup).labels
    assert "prostitution" not in engine.check("100€ et c'est bon", ADULTS_PM).labels


# --- drugs ------------------------------------------------------------------------------------------

DRUGS = [
    "beuh dispo, livraison sur Paris",
    "❄️ dispo ce soir, 60€",
    "🍃 10€ le g, dm",
    "t'as de la beuh ?",
    "qui a du shit sur Lyon ?",
    "plan coke ce soir ?",
    "je vends de la md, bonne qualité",
    "c0ke dispo 24/7",
    "menu dispo sur snap, livraison 24/7",
    "qqn a un plug à Marseille ?",
    "je cherche de la 3mmc pour ce weekend",
    "ecsta 10€ pièce, j'en ai 20",
    "vends weed amnesia 10g 80€",
    "livraison 7j/7 ❄️🍃💊 contactez sur telegram",
    "un pochon de beuh pour ce soir ?",
    "je fais le charbon à la cité, viens",
    "drive ouvert de 14h à minuit 🍃🍫",
    "💊 dispo, 10 balles le taz",
    "plan keta ce soir chez moi ?",
    "où trouver de la coke à Bordeaux ?",
    "t'aurais pas un peu de frappe ?",
    "résine dispo, 5€ le g",
    "j'ai de la bonne beuh, 10 balles le gramme",
    "weed for sale, hmu",
    "who's the plug around here?",
    "selling xans and percs, dm me",
    "got any molly for tonight?",
    "need a plug for coke asap",
    "🍄 shrooms available, $30 an eighth",
    "looking for some weed, can pay cash",
    "buvards de lsd dispo",
    "ghb dispo pour la soirée",
    "nouvel arrivage de frappe, menu en pv",
    "🍫 dispo 20€ la plaquette",
    "cherche plug beuh sur Toulouse",
    "je bicrave depuis 2 ans, tkt c'est safe",
    "2 g de c0ke stp",
    "qui peut me dépanner de la weed ce soir ?",
    "vends taz et md, prix en mp",
    "c'est combien le gramme de coke ?",
    "plan chemsex ce soir, tina dispo",
    "b e u h dispo",
    "je peux te fournir ce que tu veux, weed, coke, md",
    "tu veux de la coke ?",
    "10 balles le joint",
    "je cherche un dealer sur Nantes",
    "il me faut de la coke pour samedi",
    "pochon à 20, tu viens quand tu veux",
]

DRUGS_BENIGN = [
    "la neige ❄️ est tombée cette nuit",
    "du shit ce match, on a perdu 3-0",
    "je vends ma voiture, 3000€",
    "c'est de la bombe ce son",
    "un plan resto ce soir ?",
    "j'ai oublié ma carte de fidélité",
    "j'ai pris un cachet pour la migraine",
    "herbes de Provence dans la sauce, trop bon",
    "le menu du jour est dispo à la cantine",
    "gâteau au chocolat 🍫 fait maison",
    "la prévention sur la cocaïne au lycée c'était intéressant",
    "la police a saisi 2 tonnes de cannabis au port du Havre",
    "j'ai arrêté la weed depuis 6 mois, je me sens mieux",
    "Breaking Bad c'est la meilleure série sur la meth",
    "faut légaliser le cannabis comme au Canada",
    "je vends des verres en cristal de ma grand-mère",
    "j'ai besoin d'un chargeur, mon plug USB est cassé",
    "oh shit I forgot my keys",
    "holy shit, selling my old bike for 50 bucks",
    "il fait froid, ❄️ partout dehors",
    "salade 🥦 ce midi, t'es dispo pour manger ?",
    "balade en forêt 🌲🍄🌿",
    "j'ai le rhume des foins, le pollen me tue",
    "quelle frappe de Mbappé !",
    "ma pilule contraceptive est en rupture en pharmacie",
    "je dois acheter du doliprane",
    "les champignons de Paris dans l'omelette",
    "t'as de la chance",
    "t'as du temps ce soir ?",
    "la boutique CBD a ouvert près de chez moi",
    "je suis dispo ce soir, snap ?",
    "il a fait une overdose de coke, RIP",
    "we got snow today ❄️, so pretty",
    "Amazon livre 24/7 maintenant, c'est fou",
    "t'as vu le doc sur les narcos ?",
    "je cherche de l'herbe à chat pour mon chaton",
    "plug anal en silicone, des conseils ?",
    "weed is legal in Canada now",
    "I'm selling my crystal vase",
    "j'ai fumé de la weed hier soir, j'étais trop détendu",
    "qui a déjà fumé de la beuh ici ?",
    "le dealer de mon quartier s'est fait arrêter",
    "envoie moi un mp, je suis dispo",
    "mdr t'es trop drôle",
    "t'as du feu ?",
    "j'ai une carte dispo pour le concert",
    "200g de farine et 3 oeufs",
    "le drive de Leclerc est ouvert",
    "on teste le plug ce soir ?",
]


@pytest.mark.parametrize("text", DRUGS)
def test_drug_trade_is_held(engine: SafetyEngine, text: str) -> None:
    decision = engine.check(text, ROOM)
    assert "drugs" in decision.labels
    assert decision.action is Action.HOLD


@pytest.mark.parametrize("text", DRUGS_BENIGN)
def test_drug_homonyms_and_talk_pass(engine: SafetyEngine, text: str) -> None:
    assert "drugs" not in labels_of(engine, text, ROOM)


def test_drug_price_after_a_request_in_the_same_conversation(engine: SafetyEngine) -> None:
    request = engine.check("t'as de la beuh ?", ADULTS_PM)
    followup = Context(
        channel="pm",
        sender_age=34,
        recipient_age=29,
        recent=(Recent(from_sender=True, groups=request.groups),),
    )
    assert "drugs" in engine.check("20€ ça marche ?", followup).labels
    assert "drugs" not in engine.check("20€ ça marche ?", ADULTS_PM).labels


def test_drug_pseudonym_is_caught(engine: SafetyEngine) -> None:
    assert "drugs" in engine.check("beuh_dispo_75", Context(channel="name")).labels


# --- threat -----------------------------------------------------------------------------------------

THREAT = [
    "je vais te tuer",
    "je vais te retrouver",
    "je sais où tu habites",
    "t'es mort",
    "je vais te défoncer sale fdp",
    "on va te faire la peau",
    "i will kill you",
    "watch your back",
    "elle habite au 12 rue des Lilas à Lyon, allez-y",
    "jvais t'égorger",
    "jte bute si tu reviens ici",
    "je vais te casser la gueule",
    "tu vas crever",
    "t'es un homme mort",
    "je sais où tu bosses, fais gaffe",
    "on va venir chez toi et on va te tuer",
    "je vais tuer ta mère",
    "je vais te planter",
    "tu vas me le payer",
    "je vais te mettre une balle dans la tête",
    "im gonna kill u",
    "i know where you live",
    "you're dead",
    "i'll find you and hurt you",
    "i'm going to stab you",
    "i will hunt you down",
    "son vrai nom c'est Julien Martin, il habite au 3 rue Victor Hugo, faites-vous plaisir",
    "je vais balancer ton adresse à tout le monde",
    "je vais te faire du mal",
    "c'est pas une menace c'est une promesse",
    "vous êtes morts",
    "je vais te tuer, va porter plainte si tu veux",
    "je vais te péter les dents",
    "je vais bruler ta maison",
    "i'll beat the shit out of you",
    "you're gonna die",
    "je te jure je vais te retrouver et tu vas le regretter",
    "t'es mort si tu reviens",
    "j'vais t'buter",
    "je t'attends à la sortie, t'es mort",
    "je v4is t3 tu3r",
    "je vais te t.u.e.r",
    "attends que je te chope, tu vas voir",
    "je vais venir te chercher et te frapper",
    "je t'aurai",
    "je vais faire du mal à ta famille",
    "j'ai un couteau pour toi",
    "je vais venir chez toi te défoncer",
]

THREAT_BENIGN = [
    "ce film est une tuerie",
    "je vais tuer le game ce soir",
    "mdr je vais te tuer si tu spoiles",
    "il m'a dit 'je vais te tuer', je fais quoi ?",
    "ça me tue",
    "je suis mort de rire",
    "killer performance by the band",
    "on tue le temps en attendant le train",
    "t'es mort de rire ou quoi",
    "t'es mort ? tu réponds plus",
    "je vais te retrouver au café à 18h",
    "je vais te retrouver devant la gare",
    "je sais où tu habites, je passe te chercher à 8h",
    "je vais te défoncer au prochain round 😂",
    "you killed it tonight!",
    "i'm dead 😂😂",
    "this song kills me",
    "i'll shoot you a message tomorrow",
    "i'll find you at the bar",
    "you're dead to me",
    "he told me 'i will kill you', what should i do?",
    "mon pote habite au 12 rue de la Paix, on se retrouve là-bas",
    "je vais tuer ce moustique",
    "la chaleur me tue",
    "tu vas mourir de rire avec cette vidéo",
    "tu vas crever de froid sans manteau",
    "je me suis fait menacer, il m'a dit qu'il allait me tuer, je vais porter plainte",
    "on va les tuer ce match, allez l'OM",
    "je vais te casser la tête avec mes questions",
    "fais attention à toi, bisous",
    "killing time at the airport",
    "t'inquiète je vais te retrouver",
    "je vais te buter à Fortnite",
    "ma mère va me tuer si je rentre tard",
    "arrête tu me tues 😂",
    "je vais t'éclater au ping pong",
    "je vais te défoncer ce soir au lit 😈",
    "tu es mort de fatigue ?",
    "le resto au 5 rue Victor Hugo est top, allez-y",
    "je vais te tuer de câlins",
    "je sais où tu habites, c'est à côté de chez ma soeur",
    "je connais ton adresse, je t'envoie le colis demain",
    "je t'aurai prévenu",
    "quelqu'un m'a menacé de mort en mp, je l'ai signalé",
    "I could murder a burger",
]


@pytest.mark.parametrize("text", THREAT)
def test_threat_is_blocked(engine: SafetyEngine, text: str) -> None:
    decision = engine.check(text, ADULTS_PM)
    assert "threat" in decision.labels
    assert decision.action is Action.BLOCK


@pytest.mark.parametrize("text", THREAT_BENIGN)
def test_threat_idioms_jokes_and_victims_pass(engine: SafetyEngine, text: str) -> None:
    assert "threat" not in labels_of(engine, text)


# --- hate -------------------------------------------------------------------------------------------

HATE = [
    "sale arabe",
    "les noirs sont des singes",
    "bougnoule va",
    "sale pd",
    "pd",
    "les juifs contrôlent les médias",
    "mort aux juifs",
    "retourne dans ton pays",
    "les musulmans sont tous des terroristes",
    "je hais les homos",
    "espèce de youpin",
    "t'es qu'un sale nègre",
    "il faut tous les gazer ces juifs",
    "les femmes sont des objets",
    "heil hitler",
    "sale gouine",
    "les roms sont des voleurs",
    "les migrants sont des parasites",
    "nigger",
    "fucking faggot",
    "gas the jews",
    "go back to your country",
    "muslims are terrorists",
    "trans people are mentally ill",
    "i hate blacks",
    "kill all muslims",
    "sale chinetoque",
    "les handicapés sont des parasites",
    "retourne dans ton arbre sale singe",
    "je suis pas raciste mais les arabes sont tous des voleurs",
    "travelo de merde",
    "espèce de tarlouze",
    "les gitans c'est que des voleurs",
    "sale trans",
    "hitler avait raison",
    "women belong in the kitchen",
    "the holocaust never happened",
    "n1gg3r",
    "sale a r a b e",
    "les pd devraient crever",
    "les juifs au four",
    "espèce de pédale",
    "sale race de chien de juif",
    "les handicapés devraient être euthanasiés",
    "la shoah c'est un mensonge",
    "l'homosexualité est une maladie",
    "les noirs ne sont pas des humains",
]

HATE_BENIGN = [
    "le racisme c'est dégueulasse",
    "il m'a traité de sale arabe, je le signale",
    "le mot 'nègre' est raciste, arrêtez",
    "je suis gay et fier",
    "on est pédés et fiers",
    "j'ai un chat noir",
    "j'apprends l'arabe au lycée",
    "mon voisin est juif, il est super sympa",
    "les musulmans fêtent l'Aïd aujourd'hui",
    "je suis lesbienne",
    "ma meilleure amie est trans",
    "noirs, blancs, arabes, tous ensemble contre le racisme",
    "un café noir sans sucre",
    "la salle noire du cinéma était pleine",
    "le Niger est un pays d'Afrique de l'Ouest",
    "j'ai ramassé un fagot de bois",
    "stop à l'homophobie",
    "he called me a faggot, I reported him",
    "the n word is a slur",
    "le nègre littéraire de cet auteur est connu",
    "je retourne au bled cet été voir ma famille",
    "je rentre dans mon pays pour les vacances",
    "les femmes sont des reines",
    "les migrants sont des victimes de la guerre",
    "un raton laveur dans mon jardin !",
    "Maine Coon, le plus beau chat",
    "je suis pd et j'assume",
    "nous les gouines on sort samedi",
    "on a fait la bamboula toute la nuit",
    "la pédale de frein est dure",
    "une tapette à mouches",
    "I'm gay and proud",
    "black lives matter",
    "my jewish friend invited me for shabbat",
    "j'ai horreur des araignées",
    "je déteste les lundis",
    "retourne à la cuisine, le gâteau brûle !",
    "trier le linge sale blanc à part",
    "il faut tuer les moustiques",
    "les femmes malades du cancer ont droit à un suivi",
    "le terme 'pédé' est une insulte homophobe, faut arrêter",
    "les salles arabes du Louvre",
    "j'ai visité le Niger l'été dernier",
    "je suis noir et fier",
    "les juifs ont été persécutés pendant la guerre",
    "c'est une sale histoire",
]


@pytest.mark.parametrize("text", HATE)
def test_hate_is_blocked(engine: SafetyEngine, text: str) -> None:
    decision = engine.check(text, ROOM)
    assert "hate" in decision.labels
    assert decision.action is Action.BLOCK


@pytest.mark.parametrize("text", HATE_BENIGN)
def test_neutral_words_condemnation_and_reclaimed_words_pass(engine: SafetyEngine, text: str) -> None:
    assert "hate" not in labels_of(engine, text, ROOM)


# --- harassment -------------------------------------------------------------------------------------

HARASSMENT = [
    "t'es qu'une grosse conne",
    "ferme ta gueule",
    "fdp",
    "ntm",
    "sale pute",
    "tg",
    "you're a worthless idiot",
    "kys",
    "espèce de connard",
    "t'es vraiment un abruti",
    "va te faire foutre",
    "nique ta mère",
    "fils de pute",
    "connard !",
    "t'es moche et grosse",
    "tu sers à rien",
    "personne t'aime ici",
    "ta gueule sale bouffon",
    "tu es une salope",
    "t'es un gros con",
    "fuck you",
    "shut the fuck up",
    "you stupid bitch",
    "ur so dumb",
    "go kill yourself",
    "nobody likes you",
    "you're such a loser",
    "@kevin94 t'es vraiment débile",
    "pauvre conne va",
    "bande de débiles",
    "t'es une merde",
    "ferme-la",
    "enc*lé va",
    "va mourir",
    "t'as toujours été une grosse pute",
    "tu n'es qu'un minable",
    "go fuck yourself",
    "you're pathetic",
    "salope tu réponds pas ?",
    "vous êtes des cons",
    "t'es qu'une s4l0pe",
    "f d p",
    "tu pues la merde",
    "gros porc",
    "grosse vache",
    "vous êtes tous des abrutis",
    "u r a loser",
    "t'as une tête de con",
    "I hope you die",
]

HARASSMENT_BENIGN = [
    "je suis con parfois",
    "c'est con",
    "putain il pleut",
    "connard de réveil",
    "il m'a traité de salope, je fais quoi ?",
    "on m'a dit 'ferme ta gueule', je le signale",
    "chui trop nulle en maths",
    "I'm such an idiot, I forgot my keys",
    "fdp offerts pour toute commande",
    "vends console 150€ fdp inclus",
    "j'écoute du Suprême NTM",
    "ajoute moi sur tg",
    "ferme la porte stp",
    "c'est con ce qui t'arrive",
    "t'es pas con toi",
    "t'es un ange",
    "nique sa mère ce bus en retard",
    "he called me a bitch, reported him",
    "this song is a piece of shit lol",
    "merde j'ai raté le bus",
    "la batterie va mourir",
    "ça va te faire du bien",
    "t'as raté le train ?",
    "ce jeu est débile",
    "I hate this stupid weather",
    "shut up, really? congrats!!",
    "you're killing me 😂",
    "your joke was hilarious",
    "quel con je suis",
    "tu es la meilleure",
    "trop con ce film",
    "je me sens nulle aujourd'hui",
    "tu es belle",
    "ta gueule d'ange me fait craquer",
    "t'inquiète pas, t'es pas nulle",
    "are you a virgin?",
    "show me your joke",
    "ta gueule de bois ça va ?",
    "bravo pour ton tg",
    "je suis une grosse feignasse",
    "mon chef est un peu lourd",
    "t'es nul en maths ou quoi",
]


@pytest.mark.parametrize("text", HARASSMENT)
def test_aimed_insult_warns(engine: SafetyEngine, text: str) -> None:
    decision = engine.check(text, ADULTS_PM)
    assert "harassment" in decision.labels
    assert decision.action is Action.WARN
    assert decision.severities["harassment"] in ("low", "medium")


@pytest.mark.parametrize("text", HARASSMENT_BENIGN)
def test_swearing_self_deprecation_and_reports_pass(engine: SafetyEngine, text: str) -> None:
    assert "harassment" not in labels_of(engine, text)


def test_repeated_harassment_is_held(engine: SafetyEngine) -> None:
    repeat = Context(
        channel="pm", sender_age=34, recipient_age=29, sender_recent_labels=frozenset({"harassment"})
    )
    assert engine.check("ferme ta gueule", repeat).action is Action.HOLD


# --- the files themselves -----------------------------------------------------------------------------


@pytest.mark.parametrize("label", LABELS)
def test_lexicon_has_a_description_and_reasons(label: str) -> None:
    data = tomllib.loads(LEXICONS.joinpath(f"{label}.toml").read_text(encoding="utf-8"))
    assert data["label"] == label
    assert data["description"]
    assert all(rule.get("reason") for rule in data["rules"])


@pytest.mark.parametrize("label", LABELS)
def test_word_patterns_are_written_with_folded_letters(label: str) -> None:
    """`[patterns]` run on the words view, where every doubled letter is folded ("grosse" is
    "grose"): a pattern with a doubled letter can never match."""
    data = tomllib.loads(LEXICONS.joinpath(f"{label}.toml").read_text(encoding="utf-8"))
    for name, pattern in data.get("patterns", {}).items():
        assert not re.search(r"([a-z])\1", pattern), f"{label}.{name} has a doubled letter"
