"""French postal codes, départements and régions.

Only the département is ever shown to other users (never the city), so that nobody can be located
precisely from their profile. The mapping from a postal code is deliberately simple: it reads the
prefix of the code and does not consult the official La Poste base. A handful of communes carry the
postal code of a neighbouring département; they will display that neighbour, which is harmless for
a coarse "where is this person roughly" hint.
"""

from __future__ import annotations

from causette.domain.errors import DomainError

REGIONS: dict[str, str] = {
    "auvergne-rhone-alpes": "Auvergne-Rhône-Alpes",
    "bourgogne-franche-comte": "Bourgogne-Franche-Comté",
    "bretagne": "Bretagne",
    "centre-val-de-loire": "Centre-Val de Loire",
    "corse": "Corse",
    "grand-est": "Grand Est",
    "hauts-de-france": "Hauts-de-France",
    "ile-de-france": "Île-de-France",
    "normandie": "Normandie",
    "nouvelle-aquitaine": "Nouvelle-Aquitaine",
    "occitanie": "Occitanie",
    "pays-de-la-loire": "Pays de la Loire",
    "provence-alpes-cote-d-azur": "Provence-Alpes-Côte d'Azur",
    "guadeloupe": "Guadeloupe",
    "martinique": "Martinique",
    "guyane": "Guyane",
    "la-reunion": "La Réunion",
    "mayotte": "Mayotte",
}

# Listed région by région so that a reviewer can check each one against the official list.
_DEPARTEMENTS_BY_REGION: dict[str, tuple[str, ...]] = {
    "auvergne-rhone-alpes": ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"),
    "bourgogne-franche-comte": ("21", "25", "39", "58", "70", "71", "89", "90"),
    "bretagne": ("22", "29", "35", "56"),
    "centre-val-de-loire": ("18", "28", "36", "37", "41", "45"),
    "corse": ("2A", "2B"),
    "grand-est": ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88"),
    "hauts-de-france": ("02", "59", "60", "62", "80"),
    "ile-de-france": ("75", "77", "78", "91", "92", "93", "94", "95"),
    "normandie": ("14", "27", "50", "61", "76"),
    "nouvelle-aquitaine": ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"),
    "occitanie": ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"),
    "pays-de-la-loire": ("44", "49", "53", "72", "85"),
    "provence-alpes-cote-d-azur": ("04", "05", "06", "13", "83", "84"),
    "guadeloupe": ("971",),
    "martinique": ("972",),
    "guyane": ("973",),
    "la-reunion": ("974",),
    "mayotte": ("976",),
}

_REGION_OF: dict[str, str] = {dep: region for region, deps in _DEPARTEMENTS_BY_REGION.items() for dep in deps}

DEPARTEMENT_NAMES: dict[str, str] = {
    "01": "Ain",
    "02": "Aisne",
    "03": "Allier",
    "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes",
    "06": "Alpes-Maritimes",
    "07": "Ardèche",
    "08": "Ardennes",
    "09": "Ariège",
    "10": "Aube",
    "11": "Aude",
    "12": "Aveyron",
    "13": "Bouches-du-Rhône",
    "14": "Calvados",
    "15": "Cantal",
    "16": "Charente",
    "17": "Charente-Maritime",
    "18": "Cher",
    "19": "Corrèze",
    "2A": "Corse-du-Sud",
    "2B": "Haute-Corse",
    "21": "Côte-d'Or",
    "22": "Côtes-d'Armor",
    "23": "Creuse",
    "24": "Dordogne",
    "25": "Doubs",
    "26": "Drôme",
    "27": "Eure",
    "28": "Eure-et-Loir",
    "29": "Finistère",
    "30": "Gard",
    "31": "Haute-Garonne",
    "32": "Gers",
    "33": "Gironde",
    "34": "Hérault",
    "35": "Ille-et-Vilaine",
    "36": "Indre",
    "37": "Indre-et-Loire",
    "38": "Isère",
    "39": "Jura",
    "40": "Landes",
    "41": "Loir-et-Cher",
    "42": "Loire",
    "43": "Haute-Loire",
    "44": "Loire-Atlantique",
    "45": "Loiret",
    "46": "Lot",
    "47": "Lot-et-Garonne",
    "48": "Lozère",
    "49": "Maine-et-Loire",
    "50": "Manche",
    "51": "Marne",
    "52": "Haute-Marne",
    "53": "Mayenne",
    "54": "Meurthe-et-Moselle",
    "55": "Meuse",
    "56": "Morbihan",
    "57": "Moselle",
    "58": "Nièvre",
    "59": "Nord",
    "60": "Oise",
    "61": "Orne",
    "62": "Pas-de-Calais",
    "63": "Puy-de-Dôme",
    "64": "Pyrénées-Atlantiques",
    "65": "Hautes-Pyrénées",
    "66": "Pyrénées-Orientales",
    "67": "Bas-Rhin",
    "68": "Haut-Rhin",
    "69": "Rhône",
    "70": "Haute-Saône",
    "71": "Saône-et-Loire",
    "72": "Sarthe",
    "73": "Savoie",
    "74": "Haute-Savoie",
    "75": "Paris",
    "76": "Seine-Maritime",
    "77": "Seine-et-Marne",
    "78": "Yvelines",
    "79": "Deux-Sèvres",
    "80": "Somme",
    "81": "Tarn",
    "82": "Tarn-et-Garonne",
    "83": "Var",
    "84": "Vaucluse",
    "85": "Vendée",
    "86": "Vienne",
    "87": "Haute-Vienne",
    "88": "Vosges",
    "89": "Yonne",
    "90": "Territoire de Belfort",
    "91": "Essonne",
    "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne",
    "95": "Val-d'Oise",
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Réunion",
    "976": "Mayotte",
}

# Overseas prefixes that are valid French postal codes but not départements: Saint-Pierre-et-Miquelon
# (975), Saint-Barthélemy (977) and Saint-Martin (978) as INSEE codes. Saint-Barthélemy and
# Saint-Martin actually use 97133 and 97150, which fall under 971 and are accepted as Guadeloupe, the
# département they belonged to until 2007.
_OVERSEAS_DEPARTEMENTS = frozenset({"971", "972", "973", "974", "976"})

_MSG_FORMAT = "Le code postal doit comporter exactement 5 chiffres, par exemple 75011."
_MSG_UNKNOWN = "Ce code postal ne correspond à aucun département français."
_MSG_NOT_DEPARTEMENT = (
    "Ce code postal est celui d'une collectivité d'outre-mer qui n'est pas un département "
    "(Saint-Pierre-et-Miquelon, Wallis-et-Futuna, Polynésie, Nouvelle-Calédonie…) : "
    "Causette n'accepte que les départements."
)
_MSG_MONACO = (
    "Les codes postaux de Monaco ne sont pas acceptés : Causette n'accepte que les départements français."
)


def departement_for_postal_code(code: str) -> str:
    """Return the département ("75", "2A", "974") of a French postal code, or raise DomainError.

    Corsica is split by the first three digits: 200xx–201xx are Corse-du-Sud (2A), everything else
    from 20200 up is Haute-Corse (2B). The real boundary follows the same line, and a finer split
    would need the La Poste base, which the domain layer does not ship.
    """
    if not isinstance(code, str):
        raise DomainError("postal_code_invalid", _MSG_FORMAT)
    code = code.strip()
    # str.isdigit alone would accept Arabic-Indic or full-width digits.
    if len(code) != 5 or not code.isascii() or not code.isdigit():
        raise DomainError("postal_code_invalid", _MSG_FORMAT)

    prefix = code[:2]
    if prefix == "20":
        return "2A" if int(code[2]) < 2 else "2B"
    if "01" <= prefix <= "95":
        return prefix
    if prefix == "97":
        overseas = code[:3]
        if overseas in _OVERSEAS_DEPARTEMENTS:
            return overseas
        raise DomainError("postal_code_invalid", _MSG_NOT_DEPARTEMENT)
    if prefix == "98":
        # 980xx is Monaco; 986xx–988xx are the Pacific collectivities.
        if code.startswith("980"):
            raise DomainError("postal_code_invalid", _MSG_MONACO)
        raise DomainError("postal_code_invalid", _MSG_NOT_DEPARTEMENT)
    # 00xxx, 96xxx and 99xxx are not assigned to any place in France.
    raise DomainError("postal_code_invalid", _MSG_UNKNOWN)


def region_for_departement(dep: str) -> str:
    """Return the slug of the région ("ile-de-france") that a département belongs to."""
    region = _REGION_OF.get(dep.strip().upper()) if isinstance(dep, str) else None
    if region is None:
        raise DomainError("postal_code_invalid", _MSG_UNKNOWN)
    return region
