"""The lexicons of the three "contact" labels: ambush_risk, contact_exfiltration, spam.

Every case is synthetic (fake numbers such as 06 12 34 56 78, invented handles). For each label:
positive cases that must get the label, and hard benign cases that look like it and must not.
The engine is built from these three lexicon files only, so that the cases test them and nothing
else; the policy is the packaged one.
"""

from __future__ import annotations

import timeit
from importlib import resources

import pytest

from causette.safety.engine import Context, Decision, SafetyEngine
from causette.safety.lexicon import load_labels
from causette.safety.policy import Action, load_policy

FILES = ("ambush_risk.toml", "contact_exfiltration.toml", "spam.toml")


@pytest.fixture(scope="module")
def engine() -> SafetyEngine:
    return SafetyEngine(load_labels(name.removesuffix(".toml") for name in FILES), load_policy())


def check(
    engine: SafetyEngine, text: str, channel: str = "pm", recipient_age: int | None = 30, **ctx
) -> Decision:
    return engine.check(text, Context(channel=channel, sender_age=35, recipient_age=recipient_age, **ctx))


# --- ambush_risk ---------------------------------------------------------------------------------
AMBUSH = [
    ("donne moi ton adresse je passe", "pm"),
    ("t'habites où exactement ? quelle rue ?", "pm"),
    ("viens seule chez moi ce soir", "pm"),
    ("on se retrouve au parking derrière la gare, viens seul", "pm"),
    ("je viens te chercher chez toi", "pm"),
    ("send me your address", "pm"),
    ("come alone", "pm"),
    ("c koi ton adresse ? jpasse ce soir", "pm"),
    ("tu habites où précisément ? quel bâtiment ?", "pm"),
    ("envoie moi ta position, je te rejoins", "pm"),
    ("active ta snap map que je voie où t'es", "pm"),
    ("t'es seule chez toi ce soir ?", "pm"),
    ("tes parents sont pas là ce week-end ?", "pm"),
    ("rdv dans les bois derrière le stade à 22h, personne doit savoir", "pm"),
    ("viens toute seule, ne ramène personne", "pm"),
    ("je t'attends dans ma voiture au parking du lidl", "pm"),
    ("on se voit au sous-sol de ton immeuble ?", "pm"),
    ("c'est quoi le code de ton immeuble ?", "pm"),
    ("vien seul stp", "pm"),
    ("viens s.e.u.l.e", "pm"),
    ("d0nne m0i t0n adr3sse", "pm"),
    ("viens s\u0435ule", "pm"),  # Cyrillic е
    ("VIENS SEULE 😉", "pm"),
    ("come to my place tonight, don't bring anyone", "pm"),
    ("what's your address? i'll pick you up", "pm"),
    ("where do you live exactly? which street?", "pm"),
    ("are you home alone?", "pm"),
    ("meet me behind the station, come by yourself", "pm"),
    ("drop your location", "pm"),
    ("ton adresse stp", "request"),
    ("donne ton adresse", "room"),
    ("viens seule", "room"),
    ("je passe te prendre en bas de chez toi à 23h", "pm"),
    ("monte dans ma voiture je te ramène", "pm"),
    ("t'habites à quelle adresse ?", "pm"),
    ("tu vis seule ?", "request"),
    ("dis à personne qu'on se voit, viens seule au parc", "pm"),
    ("rejoins moi au parking, seule", "pm"),
    ("on se capte derrière le gymnase, t'inquiète personne nous verra", "pm"),
    ("faut que tu viennes seule sinon c'est mort", "pm"),
    ("je vais venir te chercher à la sortie du lycée", "pm"),
    ("u home alone?", "pm"),
    ("viens chez moa ce soir", "pm"),
    ("tes parents rentrent à quelle heure ?", "pm"),
    ("rejoins moi à l'hôtel, chambre 214, et viens seule", "pm"),
    ("i'll wait for you behind the school, come alone", "pm"),
]

AMBUSH_BENIGN = [
    ("on se retrouve au café place de la mairie avec les autres ?", "pm"),
    ("t'habites dans quelle région ?", "pm"),
    ("t'habites où ?", "pm"),
    ("je passe te voir au bureau demain pour le dossier", "room"),
    ("je passe te voir au bureau demain pour le dossier", "pm"),
    ("j'ai rdv chez le médecin à 15h", "pm"),
    ("j'ai rdv seule chez le médecin demain", "pm"),
    ("l'adresse du resto c'est 12 rue de la Paix", "room"),
    ("c'est quoi ton adresse mail ?", "pm"),
    ("je viens seule à la soirée de samedi", "pm"),
    ("je viens de rentrer chez moi, je suis crevée", "pm"),
    ("viens chez moi pour l'anniversaire de Julie, tout le monde sera là", "pm"),
    ("on se retrouve au parking du cinéma avec les autres pour le covoit", "pm"),
    ("le parking derrière la gare est payant maintenant", "room"),
    ("tu viens dans le salon musique ?", "pm"),
    ("je suis seule ce soir, je regarde un film", "pm"),
    ("un mec m'a demandé mon adresse en mp, je fais quoi ?", "pm"),
    ("il m'a dit de venir seule au parking, je le signale", "pm"),
    ("on se voit à la réunion lundi", "pm"),
    ("ça vient de sortir au cinéma", "pm"),
    ("t'es de quelle ville ?", "pm"),
    ("je suis du 93, et toi ?", "pm"),
    ("rdv à 18h30 devant le cinéma avec les autres", "pm"),
    ("nice to meet you!", "pm"),
    ("where are you from?", "pm"),
    ("I live alone with my cat", "pm"),
    ("on se retrouve à la gare avec mes potes", "pm"),
    ("je passe chez le boulanger", "pm"),
    ("mon adresse a changé, je dois prévenir la banque", "pm"),
    ("tu habites où ? moi à Lyon", "pm"),
    ("come to the party with everyone tomorrow!", "pm"),
    ("my parents are home tonight so I can't go out", "pm"),
    ("quel est ton quartier préféré à Paris ?", "pm"),
    ("je préfère voyager seule", "pm"),
    ("le code wifi chez toi c'est quoi ?", "pm"),
    ("ta position sur ce débat ?", "pm"),
    ("il faut venir seul ou accompagné au mariage ?", "pm"),
    ("viens seule, ça veut dire quoi ce message ? un mec m'a écrit ça, c'est normal ?", "pm"),
    ("il faut venir seul au rendez vous de la banque ?", "pm"),
    ("je vis seule depuis mon divorce", "pm"),
    ("I'm home alone tonight, watching netflix", "pm"),
    ("je t'attends au café en face de la mairie", "pm"),
]


@pytest.mark.parametrize(("text", "channel"), AMBUSH)
def test_ambush_risk_detected(engine: SafetyEngine, text: str, channel: str) -> None:
    decision = check(engine, text, channel)
    assert "ambush_risk" in decision.labels, sorted(decision.groups)


@pytest.mark.parametrize(("text", "channel"), AMBUSH_BENIGN)
def test_ambush_risk_hard_benign(engine: SafetyEngine, text: str, channel: str) -> None:
    decision = check(engine, text, channel)
    assert "ambush_risk" not in decision.labels, sorted(decision.groups)


def test_ambush_risk_policy_notice_then_hold_for_minor(engine: SafetyEngine) -> None:
    adult = check(engine, "viens seule chez moi ce soir", "pm", recipient_age=30)
    assert adult.action is Action.ALLOW
    assert adult.effects.notify_recipient == ("safety_meeting",)
    assert adult.reasons and all(r.endswith(".") for r in adult.reasons)
    minor = check(engine, "viens seule chez moi ce soir", "pm", recipient_age=15)
    assert minor.action is Action.HOLD


def test_ambush_risk_any_meeting_with_a_minor_is_held(engine: SafetyEngine) -> None:
    # A plain proposal to meet is not a label between adults ...
    assert "ambush_risk" not in check(engine, "on se voit samedi ?", "pm", recipient_age=30).labels
    # ... but it is, and held, when an adult writes it to a declared or apparent minor.
    declared = check(engine, "on se voit samedi ?", "pm", recipient_age=15)
    assert declared.labels == ("ambush_risk",) and declared.action is Action.HOLD
    apparent = engine.check(
        "let's meet after school", Context(channel="pm", sender_age=40, recipient_apparent_minor=True)
    )
    assert apparent.action is Action.HOLD


MINOR_BENIGN = [
    "salut ça va ?",
    "tu fais quoi ce week-end ?",
    "tu viens dans le salon musique ?",
    "je viens de finir le boulot",
    "ça vient d'où ce pseudo ?",
    "tu me suis ? je comprends pas",
    "il faut que tu parles à tes parents",
    "on se voit en visio pour le cours ?",
    "tu connais tiktok ?",
]


@pytest.mark.parametrize("text", MINOR_BENIGN)
def test_ordinary_messages_to_a_minor_are_not_held(engine: SafetyEngine, text: str) -> None:
    decision = check(engine, text, "pm", recipient_age=16)
    assert decision.labels == () and decision.action is Action.ALLOW, sorted(decision.groups)


# --- contact_exfiltration ------------------------------------------------------------------------
CONTACT = [
    ("ajoute moi sur snap: kev_75", "pm"),
    ("mon insta c'est @lea.b", "pm"),
    ("sc: xxjulie", "pm"),
    ("wsp 06 12 34 56 78", "pm"),
    ("tg @kev_75", "pm"),
    ("zéro six douze trente-quatre cinquante-six soixante-dix-huit", "pm"),
    ("va sur www.monsite.com", "pm"),
    ("t.me/kev75", "pm"),
    ("wa.me/33612345678", "pm"),
    ("appelle moi au 06.12.34.56.78", "pm"),
    ("mon num: 0612345678", "pm"),
    ("+33 6 12 34 56 78", "pm"),
    ("insta lea.b92", "pm"),
    ("kik: julie_92", "pm"),
    ("discord: kev#1234", "pm"),
    ("add me on snap, kev_75", "pm"),
    ("my number is 06 12 34 56 78", "pm"),
    ("follow me on insta @lea.b", "pm"),
    ("https://exemple.com/profil", "room"),
    ("écris moi: kev.dupont@example.com", "pm"),
    ("kev arobase gmail point com", "pm"),
    ("snap c kev75", "pm"),
    ("👻 kev_75", "pm"),
    ("s n a p : kev_75", "pm"),
    ("sn@p kev_75", "pm"),
    ("zero six twelve thirty four fifty six seventy eight", "pm"),
    ("0️⃣6️⃣1️⃣2️⃣3️⃣4️⃣5️⃣6️⃣7️⃣8️⃣", "pm"),
    ("jte donne mon snap: kev_75", "pm"),
    ("snap kev_75 06 12 34 56 78", "pm"),
    ("O6 12 34 56 78", "pm"),
    ("mon snap : kev_75", "room"),
]

CONTACT_BENIGN = [
    ("rdv à 18h30", "pm"),
    ("ça coûte 12,50", "pm"),
    ("né en 1990", "pm"),
    ("mon code postal 75011", "pm"),
    ("il fait 14 degrés", "pm"),
    ("t'aimes bien tiktok ?", "pm"),
    ("je déteste snapchat", "pm"),
    ("on a gagné 3-1", "pm"),
    ("j'ai supprimé insta, trop toxique", "pm"),
    ("snapchat a encore planté ce matin", "pm"),
    ("tu regardes des vidéos sur youtube ?", "pm"),
    ("le match est à 21h, score final 2 à 1", "pm"),
    ("ma fille passe trop de temps sur instagram", "pm"),
    ("le numéro de commande c'est 123456789", "pm"),
    ("il est né le 12/06/1990 à 18:30", "pm"),
    ("j'ai payé 1 299,99 € mon canapé", "pm"),
    ("la France compte 68 000 000 habitants", "room"),
    ("appelle le 17 en cas d'urgence", "room"),
    ("le bus 38 passe à 8h15", "pm"),
    ("t'as vu le dernier tiktok de squeezie ?", "pm"),
    ("snap a sorti une nouvelle fonction", "pm"),
    ("j'ai 3 enfants de 4, 7 et 12 ans", "pm"),
    ("tu préfères insta ou tiktok ?", "pm"),
    ("mon fils est tout le temps sur discord avec ses potes", "pm"),
    ("il a marqué 2 buts, à la 45e et à la 90e", "room"),
    ("la réunion c'est salle 204 au 3e étage", "pm"),
    ("I hate snapchat honestly", "pm"),
    ("do you use tiktok a lot?", "pm"),
    ("the game ended 3-1, what a match", "room"),
    ("it's 14 degrees today", "pm"),
    ("ne donnez jamais votre numéro à un inconnu", "room"),
    ("il m'a demandé mon snap, je fais quoi ?", "pm"),
    ("le prix est de 12.50€", "pm"),
    ("ok.ca va et toi ?", "pm"),
    ("tu.es où ?", "pm"),
    ("ta gueule tg", "room"),
    ("j'ai un compte gmail et un compte outlook", "pm"),
    ("mon snap de ce matin était raté mdr", "pm"),
    ("you have a number of options", "pm"),
    ("on s'est connus sur insta il y a 2 ans", "pm"),
    ("rdv le 12/06 à 14h au 3 rue Victor Hugo 75011 Paris", "pm"),
    ("tu veux mon avis ?", "pm"),
    ("j'ai fait un snap à ma pote", "pm"),
    ("ajoute moi en ami sur causette", "pm"),
    ("on continue en mp ?", "pm"),
    ("je te passe le bonjour de ma mère", "pm"),
    ("mon tel est cassé", "pm"),
]


# Asking for a contact or inviting to another app without giving one is not sharing a contact
# (the label is about handing one out); with a minor on the other side it is labelled, and held.
CONTACT_ASKED = [
    ("viens sur snap on parlera mieux", "pm"),
    ("t'as snap ?", "pm"),
    ("donne moi ton num", "pm"),
    ("c'est quoi ton snap", "pm"),
    ("what's your snap?", "pm"),
    ("text me on whatsapp", "pm"),
    ("let's move to telegram", "pm"),
    ("on passe sur whatsapp ?", "pm"),
    ("tu as insta ?", "pm"),
    ("send me your number", "pm"),
    ("balance ton insta", "pm"),
    ("on continue sur telegram ? c'est plus discret", "pm"),
    ("ton num ?", "request"),
    ("on s'ajoute sur insta ?", "pm"),
    ("tu veux mon snap ?", "pm"),
    ("dm moi sur insta", "pm"),
    ("let's continue on discord", "pm"),
    ("on échange nos numéros ?", "pm"),
    ("viens pv sur snap", "pm"),
]


@pytest.mark.parametrize(("text", "channel"), CONTACT_ASKED)
def test_asking_for_a_contact_is_labelled_only_towards_a_minor(
    engine: SafetyEngine, text: str, channel: str
) -> None:
    assert "contact_exfiltration" not in check(engine, text, channel, recipient_age=30).labels
    towards_minor = check(engine, text, channel, recipient_age=16)
    assert "contact_exfiltration" in towards_minor.labels, sorted(towards_minor.groups)
    assert towards_minor.action is Action.HOLD


@pytest.mark.parametrize(("text", "channel"), CONTACT)
def test_contact_exfiltration_detected(engine: SafetyEngine, text: str, channel: str) -> None:
    decision = check(engine, text, channel)
    assert "contact_exfiltration" in decision.labels, sorted(decision.groups)


@pytest.mark.parametrize(("text", "channel"), CONTACT_BENIGN)
def test_contact_exfiltration_hard_benign(engine: SafetyEngine, text: str, channel: str) -> None:
    decision = check(engine, text, channel)
    assert "contact_exfiltration" not in decision.labels, sorted(decision.groups)


def test_contact_exfiltration_policy(engine: SafetyEngine) -> None:
    adult = check(engine, "ajoute moi sur snap: kev_75", "pm", recipient_age=30)
    assert adult.action is Action.ALLOW and adult.effects.notify_recipient == ("safety_contact",)
    assert any(e.group == "contact_exfiltration.app_handle" for e in adult.evidence)
    assert check(engine, "ajoute moi sur snap: kev_75", "pm", recipient_age=16).action is Action.HOLD
    # In a room: delivered, no private notice.
    room = check(engine, "mon snap : kev_75", "room", recipient_age=None)
    assert room.action is Action.ALLOW and room.effects.notify_recipient == ()


def test_tg_handle_counts_only_in_private(engine: SafetyEngine) -> None:
    # "tg" is also "ta gueule": "tg @lea" in a room is an insult aimed at someone, not Telegram.
    assert "contact_exfiltration" not in check(engine, "tg @lea_b t'es relou", "room").labels
    assert "contact_exfiltration" in check(engine, "tg @lea_b", "pm").labels


# --- spam ----------------------------------------------------------------------------------------
SPAM = [
    "gagnez 500€ par jour depuis chez vous !!",
    "investis dans le bitcoin avec moi",
    "code promo CAUSETTE20 : -20% avec mon code sur monsite.com",
    "rejoins mon serveur discord pour gagner des nitro gratuits",
    "🔥 GAGNEZ 3000€ PAR MOIS SANS RIEN FAIRE 🔥 infos en mp",
    "tu peux gagner 200€/jour avec le trading, je te montre",
    "trading crypto rendement garanti, contacte moi",
    "Félicitations ! Vous avez gagné un iPhone 15, cliquez ici : http://cadeau-iphone.xyz",
    "free nitro here: discord.gg/abc123",
    "Make money fast! Earn $500 a day from home, DM me",
    "invest in bitcoin with my mentor, guaranteed returns",
    "use my referral code KEV20 for 10€ off",
    "des milliers de célibataires près de chez vous, inscription gratuite",
    "hot singles in your area",
    "Opportunité unique : business en ligne, 2000€/mois, écris moi",
    "je recrute pour travail à domicile 300€/semaine, infos en pv",
    "abonne toi à ma chaîne youtube lien en bio",
    "suivez moi sur insta, follow for follow",
    "join my discord server for free skins: discord.gg/xyz",
    "revenu passif 💰💰 avec la crypto, dm moi",
    "Vous avez été sélectionné pour recevoir une carte cadeau de 500€ ! Réclamez votre cadeau ici bit.ly/xyz",
    "Doublez votre argent en 7 jours avec l'option binaire",
    "deviens riche avec le forex, ma formation est offerte",
    "ARGENT FACILE 💸 tape INFO en mp",
    "Earn passive income with crypto, sign up with my link",
    "code de parrainage : KEV75, utilisez mon lien pour avoir 10€ offerts",
    "free robux 👉 robux-gratuit.com",
    "je vous apprends à gagner 100€ par jour sur internet",
    "g4gn3z 500€ p4r j0ur",
    "I'm a crypto trader, I can help you make 5k a week, message me",
    "💰 Investissez 250€ et recevez 2500€ en 7 jours 💰",
    "Tu veux gagner de l'argent facilement ? Clique ici",
    "Join our server: discord.gg/freegift",
    "promo code SAVE50 → shop-deals.com",
    "Je propose un prêt entre particuliers à 2% contactez moi",
    "Vends followers instagram pas cher, 1000 followers pour 5€",
    "Casino en ligne : 200% de bonus sur votre premier dépôt !",
    "Paris sportifs : pronos gratuits sur mon telegram, 90% de réussite",
    "Cherche sugar baby, 500€ par semaine",
    "Deviens ambassadrice de notre marque et gagne des produits gratuits",
    "Plateforme de trading fiable, 30% de bénéfices par mois",
    "J'ai un plan pour se faire de l'argent sur internet, qui est chaud ? MP",
]

SPAM_BENIGN = [
    "j'ai gagné au loto mdr",
    "le bitcoin a chuté aujourd'hui",
    "y a une promo sur les pâtes au carrefour",
    "tu investis dans la crypto toi ?",
    "j'ai utilisé un code promo chez lidl",
    "je gagne 1800 € par mois, c'est pas assez",
    "rejoins-nous dans le salon musique",
    "attention, les mecs qui proposent de gagner 500€ par jour c'est une arnaque",
    "mon frère bosse dans la crypto",
    "on a gagné le match 3-1",
    "t'as gagné un truc au tournoi ?",
    "mon code promo marche pas sur uber eats",
    "bitcoin dropped 10% in a week",
    "I won the lottery lol jk",
    "je regarde un reportage sur le trading haute fréquence",
    "il y a -50% sur les jouets chez Auchan cette semaine",
    "je bosse depuis chez moi aujourd'hui",
    "c'est quoi le meilleur site pour apprendre l'anglais ?",
    "on recrute à mon boulot si ça intéresse quelqu'un",
    "je me suis abonnée à netflix",
    "concours de pétanque samedi, écris moi si tu viens",
    "ma fille veut des robux pour noël",
    "j'ai eu un cadeau d'anniversaire trop cool",
    "le forex c'est risqué, j'ai perdu de l'argent",
    "les cryptos c'est pas sans risque",
    "félicitations pour ton bébé !",
    "j'ai payé 15€ par mois pour la salle de sport",
    "I make 3k a month as a nurse",
    "tu peux me prêter 20€ ? je te rembourse lundi",
    "il y a des soldes chez zara, -30%",
    "suis moi, je connais un raccourci",
    "ce film a gagné 3 oscars",
    "rien n'est garanti avec la crypto, fais gaffe",
    "je prends 2 par jour, le médecin a dit",
    "les paris sportifs c'est pas gratuit lol",
    "j'ai 200 followers sur insta",
    "un appart avec des vues sur la mer, pas cher",
    "on recrute 500 personnes chez Amazon pour noël",
    "le livret A c'est un placement à 3% par an",
    "je cherche un coloc, 450€ par mois charges comprises, mp moi",
    "les prêts entre particuliers c'est souvent des arnaques",
    "tu veux investir dans un appart avec moi ?",
    "on a fait un giveaway entre potes pour noël",
]


@pytest.mark.parametrize("text", SPAM)
def test_spam_detected(engine: SafetyEngine, text: str) -> None:
    decision = check(engine, text, "room", recipient_age=None)
    assert "spam" in decision.labels, sorted(decision.groups)


@pytest.mark.parametrize("text", SPAM_BENIGN)
def test_spam_hard_benign(engine: SafetyEngine, text: str) -> None:
    decision = check(engine, text, "room", recipient_age=None)
    assert "spam" not in decision.labels, sorted(decision.groups)


def test_spam_policy_by_severity(engine: SafetyEngine) -> None:
    assert check(engine, "gagnez 500€ par jour depuis chez vous", "room").action is Action.HOLD
    low = check(engine, "abonne toi à ma chaîne youtube", "room")
    assert low.severities == {"spam": "low"} and low.action is Action.WARN
    assert low.effects.warn_codes == ("safety_warning_spam",)


def test_spam_repetition(engine: SafetyEngine) -> None:
    assert "spam" not in check(engine, "salut ça va ?", "room").labels
    again = check(engine, "salut ça va ?", "room", repeated=True)
    assert again.severities == {"spam": "low"} and again.action is Action.WARN
    ad = check(engine, "visitez www.site-promo.com", "room", repeated=True)
    assert ad.severities["spam"] == "medium" and ad.action is Action.HOLD


def test_spam_mass_first_contacts(engine: SafetyEngine) -> None:
    assert "spam" not in check(engine, "slt tu vas bien ?", "request", first_contacts=3).labels
    # The count is of first contacts: it means nothing in a room.
    assert "spam" not in check(engine, "slt tu vas bien ?", "room", first_contacts=30).labels
    warned = check(engine, "slt tu vas bien ?", "request", first_contacts=12)
    assert warned.severities == {"spam": "low"} and warned.action is Action.WARN
    assert check(engine, "slt tu vas bien ?", "request", first_contacts=25).action is Action.HOLD
    with_handle = check(engine, "ajoute moi sur snap: kev_75", "request", first_contacts=6)
    assert with_handle.severities["spam"] == "medium" and with_handle.action is Action.HOLD


# --- the files themselves ------------------------------------------------------------------------
@pytest.mark.parametrize("name", FILES)
def test_lexicon_files_are_documented(name: str) -> None:
    import tomllib

    text = resources.files("causette.safety").joinpath("lexicons", name).read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["label"] == name.removesuffix(".toml")
    assert data["description"]
    assert text.startswith("#")
    for rule in data["rules"]:
        assert rule["severity"] in ("low", "medium", "high")
        assert rule["reason"].endswith(".")


def test_check_stays_fast(engine: SafetyEngine) -> None:
    text = (
        "Salut tout le monde, je rentre du boulot et la journée a été longue. Quelqu'un a vu le "
        "match hier soir ? On a perdu 3-1 mais ils ont bien joué en deuxième mi-temps. Bon appétit !"
    )
    ctx = Context(channel="pm", sender_age=35, recipient_age=30)
    assert engine.check(text, ctx).labels == ()
    per_check = min(timeit.repeat(lambda: engine.check(text, ctx), number=200, repeat=5)) / 200
    assert per_check < 500e-6  # generous for slow CI machines; typically well under 100 µs
