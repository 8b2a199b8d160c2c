// The one catalogue of UI strings: French first, English second.
// t(key, params) fills {name} placeholders; a `n` parameter picks the `_one` / `_other` form
// with the language's plural rules (in French 0 and 1 are singular).

const LANG_KEY = 'causette.lang';
const SUPPORTED = ['fr', 'en'];

const CATALOGUE = {
  fr: {
    'app.name': 'Causette',
    'app.skip': 'Aller au contenu',
    'lang.switch': 'EN',
    'lang.switch_label': 'Switch to English',

    'entry.title': 'Entrer sur Causette',
    'entry.intro': 'Pas d’inscription : un pseudo, ton âge, ton genre et ton code postal, et c’est parti.',
    'entry.form_label': 'Formulaire d’entrée',
    'entry.pseudonym': 'Pseudo',
    'entry.pseudonym_hint': '3 à 20 caractères : lettres, chiffres, espace, _ - .',
    'entry.age': 'Âge',
    'entry.age_hint': 'Ton âge ne pourra plus être modifié pendant la session.',
    'entry.gender': 'Genre',
    'entry.gender_choose': 'Choisir…',
    'entry.postal_code': 'Code postal',
    'entry.postal_hint': 'Les autres ne verront que ton département (par exemple 75), jamais ta ville.',
    'entry.rules_title': 'Les règles',
    'entry.rule1': 'Respecte les autres : insultes, harcèlement, haine et contenus sexuels non désirés sont interdits.',
    'entry.rule2': 'Ne donne jamais ton adresse, ton numéro ou tes photos à un inconnu. Un doute ? Signale-le.',
    'entry.safety_link': 'Conseils de sécurité',
    'entry.submit': 'Entrer',
    'entry.submitting': 'Connexion…',
    'entry.missing': 'Remplis tous les champs.',
    'entry.age_nan': 'Indique ton âge en chiffres.',
    'entry.postal_format': 'Le code postal compte cinq chiffres.',
    'entry.underage_title': 'Causette est réservé aux adultes',
    'entry.underage_help': 'Si quelque chose t’inquiète en ligne (harcèlement, chantage, photos qui circulent…), tu peux en parler gratuitement et anonymement au 3018, par téléphone, par tchat sur 3018.fr ou dans l’appli 3018.',
    'entry.underage_call': 'Appeler le 3018',
    'entry.underage_link': 'Aller sur 3018.fr',
    'session.ended': 'Ta session est terminée. Tu peux entrer à nouveau.',

    'gender.f': 'Femme',
    'gender.m': 'Homme',
    'gender.x': 'Autre',
    'gender.short.f': 'F',
    'gender.short.m': 'H',
    'gender.short.x': 'A',

    'conn.connecting': 'Connexion…',
    'conn.online': 'En ligne',
    'conn.offline': 'Hors ligne',
    'offline.waiting': 'Connexion perdue. Nouvelle tentative dans {s} s…',
    'offline.connecting': 'Connexion perdue. Reconnexion…',
    'offline.retry': 'Réessayer maintenant',
    'logout': 'Se déconnecter',
    'logout_label': 'Quitter Causette et libérer mon pseudo',

    'nav.label': 'Sections',
    'nav.rooms': 'Salons',
    'nav.conv': 'Discussions',
    'nav.users': 'Connecté·es',
    'nav.requests': 'Demandes',

    'rooms.title': 'Salons',
    'rooms.loading': 'Chargement des salons…',
    'rooms.empty': 'Aucun salon pour le moment.',
    'rooms.members_one': '{n} connecté·e',
    'rooms.members_other': '{n} connecté·es',
    'rooms.joined': 'ouvert',
    'rooms.age_only': 'Réservé aux {min}–{max} ans',
    'rooms.age_from': 'Réservé aux {min} ans et plus',
    'rooms.create': 'Créer un salon privé',
    'rooms.create_name': 'Nom du salon',
    'rooms.create_topic': 'Sujet (facultatif)',
    'rooms.create_submit': 'Créer',
    'rooms.created': 'Salon « {name} » créé. Invite des personnes depuis leur profil.',
    'kind.theme': 'Thèmes',
    'kind.region': 'Régions',
    'kind.age': 'Âges',
    'kind.private': 'Salons privés',
    'kind.other': 'Autres',

    'conv.tabs': 'Conversations ouvertes',
    'conv.empty': 'Choisis un salon pour commencer à discuter.',
    'conv.leave': 'Quitter le salon',
    'conv.report_room': 'Signaler le salon',
    'conv.block': 'Bloquer',
    'conv.unblock': 'Débloquer',
    'conv.private_with': 'Conversation privée avec {name}',
    'conv.blocked_note': 'Tu as bloqué cette personne : elle ne peut plus t’écrire.',
    'conv.unread_one': '{n} message non lu',
    'conv.unread_other': '{n} messages non lus',
    'conv.messages': 'Messages',
    'conv.load_failed': 'Impossible de charger l’historique.',

    'msg.you': 'toi',
    'msg.pending': 'Envoi…',
    'msg.waiting': 'En attente de connexion…',
    'msg.failed': 'Non envoyé : {reason}',
    'msg.retry': 'Réessayer',
    'msg.report': 'Signaler',
    'msg.report_label': 'Signaler le message de {name}',
    'msg.author_label': 'Profil de {name}',

    'composer.label': 'Ton message',
    'composer.placeholder': 'Écris un message…',
    'composer.send': 'Envoyer',
    'composer.count': '{n} / {max}',
    'composer.too_long': 'Trop long : {n} / {max} caractères',
    'typing.one': '{a} écrit…',
    'typing.two': '{a} et {b} écrivent…',
    'typing.many': 'Plusieurs personnes écrivent…',

    'users.title': 'Connecté·es',
    'users.filters': 'Filtres',
    'users.age_min': 'Âge min.',
    'users.age_max': 'Âge max.',
    'users.gender': 'Genre',
    'users.gender_all': 'Tous',
    'users.mine': 'Ma région',
    'users.empty': 'Personne ne correspond à ces filtres.',
    'users.count_one': '{n} personne',
    'users.count_other': '{n} personnes',
    'users.more': 'et {n} de plus : affine les filtres.',
    'users.age': '{n} ans',
    'users.dept': 'dép. {d}',
    'users.you': '(toi)',

    'profile.title': 'Profil',
    'profile.pm': 'Message privé',
    'profile.pm_label': 'Ton premier message',
    'profile.pm_hint': '{name} verra un aperçu et choisira d’accepter ou non.',
    'profile.pm_send': 'Envoyer la demande',
    'profile.block': 'Bloquer',
    'profile.unblock': 'Débloquer',
    'profile.report': 'Signaler',
    'profile.invite': 'Inviter dans « {room} »',
    'dialog.close': 'Fermer',
    'dialog.cancel': 'Annuler',

    'pm.sent': 'Demande envoyée à {name}.',
    'pm.opened': 'Conversation privée ouverte avec {name}.',
    'requests.title': 'Demandes de message privé',
    'requests.empty': 'Aucune demande en attente.',
    'requests.new': 'Nouvelle demande de message privé de {name}.',
    'requests.accept': 'Accepter',
    'requests.decline': 'Refuser',
    'requests.block': 'Bloquer',
    'requests.accept_label': 'Accepter la demande de {name}',
    'requests.decline_label': 'Refuser la demande de {name}',
    'invites.title': 'Invitations',
    'invites.from': '{by} t’invite dans « {room} »',
    'invites.join': 'Rejoindre',
    'invites.dismiss': 'Ignorer',
    'invites.sent': 'Invitation envoyée à {name}.',

    'report.title_user': 'Signaler {name}',
    'report.title_msg': 'Signaler un message de {name}',
    'report.title_room': 'Signaler le salon « {name} »',
    'report.category': 'Motif',
    'report.text': 'Précisions (facultatif)',
    'report.submit': 'Envoyer le signalement',
    'report.done': 'Signalement reçu (n° {id}). Merci : l’équipe de modération va l’examiner.',
    'report.cat.harassment': 'Harcèlement ou insultes',
    'report.cat.hate': 'Haine ou discrimination',
    'report.cat.sexual': 'Contenu sexuel non désiré',
    'report.cat.minor': 'Mineur·e en danger',
    'report.cat.threat': 'Menaces ou violence',
    'report.cat.personal_data': 'Données personnelles exposées',
    'report.cat.spam': 'Spam ou arnaque',
    'report.cat.illegal': 'Autre contenu illégal',
    'report.cat.other': 'Autre',

    'block.done': '{name} est bloqué·e.',
    'unblock.done': '{name} est débloqué·e.',
    'notice.dismiss': 'Fermer',
    'notice.area': 'Avis',

    'error.network': 'Impossible de joindre le serveur. Vérifie ta connexion et réessaie.',
    'error.not_connected': 'Hors ligne : réessaie quand la connexion revient.',
    'error.unknown': 'Une erreur est survenue ({code}).',
    'error.too_long': 'Message trop long.',
    'error.empty': 'Le message est vide.',
    'error.not_member': 'Tu n’es pas dans cette conversation.',
    'error.not_found': 'Introuvable.',
    'error.not_allowed': 'Ce salon n’est pas ouvert à ta tranche d’âge.',
    'error.not_invited': 'Ce salon privé est sur invitation.',
    'error.room_full': 'Ce salon est complet.',
    'error.blocked': 'Impossible : l’un de vous a bloqué l’autre.',
    'error.declined': 'Cette personne a refusé ta demande.',
    'error.request_pending': 'Une demande à cette personne est déjà en attente.',
    'error.too_many_requests': 'Tu as trop de demandes en attente.',
    'error.already_open': 'Une conversation avec cette personne est déjà ouverte.',
    'error.self': 'Impossible de faire ça avec toi-même.',
    'error.rate_limited': 'Doucement : trop de messages d’un coup.',
    'error.unavailable': 'Serveur indisponible, réessaie.',
    'error.held_for_review': 'Message retenu pour vérification.',
    'error.refused_by_policy': 'Message refusé par les règles de Causette.',
  },

  en: {
    'app.name': 'Causette',
    'app.skip': 'Skip to content',
    'lang.switch': 'FR',
    'lang.switch_label': 'Passer en français',

    'entry.title': 'Join Causette',
    'entry.intro': 'No sign-up: a nickname, your age, your gender and your postcode, and you are in.',
    'entry.form_label': 'Entry form',
    'entry.pseudonym': 'Nickname',
    'entry.pseudonym_hint': '3 to 20 characters: letters, digits, space, _ - .',
    'entry.age': 'Age',
    'entry.age_hint': 'Your age cannot be changed during the session.',
    'entry.gender': 'Gender',
    'entry.gender_choose': 'Choose…',
    'entry.postal_code': 'Postcode',
    'entry.postal_hint': 'Others only see your département (for example 75), never your town.',
    'entry.rules_title': 'The rules',
    'entry.rule1': 'Respect others: insults, harassment, hate and unwanted sexual content are forbidden.',
    'entry.rule2': 'Never give your address, number or photos to a stranger. In doubt? Report it.',
    'entry.safety_link': 'Safety tips',
    'entry.submit': 'Enter',
    'entry.submitting': 'Connecting…',
    'entry.missing': 'Please fill in every field.',
    'entry.age_nan': 'Enter your age in digits.',
    'entry.postal_format': 'A postcode has five digits.',
    'entry.underage_title': 'Causette is for adults only',
    'entry.underage_help': 'If something online worries you (harassment, blackmail, photos being shared…), you can talk about it for free and anonymously with 3018, by phone, by chat on 3018.fr or in the 3018 app.',
    'entry.underage_call': 'Call 3018',
    'entry.underage_link': 'Go to 3018.fr',
    'session.ended': 'Your session has ended. You can enter again.',

    'gender.f': 'Woman',
    'gender.m': 'Man',
    'gender.x': 'Other',
    'gender.short.f': 'W',
    'gender.short.m': 'M',
    'gender.short.x': 'O',

    'conn.connecting': 'Connecting…',
    'conn.online': 'Online',
    'conn.offline': 'Offline',
    'offline.waiting': 'Connection lost. Retrying in {s} s…',
    'offline.connecting': 'Connection lost. Reconnecting…',
    'offline.retry': 'Retry now',
    'logout': 'Log out',
    'logout_label': 'Leave Causette and free my nickname',

    'nav.label': 'Sections',
    'nav.rooms': 'Rooms',
    'nav.conv': 'Chats',
    'nav.users': 'Online',
    'nav.requests': 'Requests',

    'rooms.title': 'Rooms',
    'rooms.loading': 'Loading rooms…',
    'rooms.empty': 'No rooms yet.',
    'rooms.members_one': '{n} online',
    'rooms.members_other': '{n} online',
    'rooms.joined': 'open',
    'rooms.age_only': 'Ages {min}–{max} only',
    'rooms.age_from': 'Ages {min} and over only',
    'rooms.create': 'Create a private room',
    'rooms.create_name': 'Room name',
    'rooms.create_topic': 'Topic (optional)',
    'rooms.create_submit': 'Create',
    'rooms.created': 'Room “{name}” created. Invite people from their profile.',
    'kind.theme': 'Topics',
    'kind.region': 'Regions',
    'kind.age': 'Ages',
    'kind.private': 'Private rooms',
    'kind.other': 'Other',

    'conv.tabs': 'Open conversations',
    'conv.empty': 'Pick a room to start chatting.',
    'conv.leave': 'Leave room',
    'conv.report_room': 'Report room',
    'conv.block': 'Block',
    'conv.unblock': 'Unblock',
    'conv.private_with': 'Private chat with {name}',
    'conv.blocked_note': 'You blocked this person: they can no longer write to you.',
    'conv.unread_one': '{n} unread message',
    'conv.unread_other': '{n} unread messages',
    'conv.messages': 'Messages',
    'conv.load_failed': 'Could not load the history.',

    'msg.you': 'you',
    'msg.pending': 'Sending…',
    'msg.waiting': 'Waiting for the connection…',
    'msg.failed': 'Not sent: {reason}',
    'msg.retry': 'Retry',
    'msg.report': 'Report',
    'msg.report_label': 'Report the message from {name}',
    'msg.author_label': 'Profile of {name}',

    'composer.label': 'Your message',
    'composer.placeholder': 'Write a message…',
    'composer.send': 'Send',
    'composer.count': '{n} / {max}',
    'composer.too_long': 'Too long: {n} / {max} characters',
    'typing.one': '{a} is typing…',
    'typing.two': '{a} and {b} are typing…',
    'typing.many': 'Several people are typing…',

    'users.title': 'Online',
    'users.filters': 'Filters',
    'users.age_min': 'Min. age',
    'users.age_max': 'Max. age',
    'users.gender': 'Gender',
    'users.gender_all': 'All',
    'users.mine': 'My region',
    'users.empty': 'Nobody matches these filters.',
    'users.count_one': '{n} person',
    'users.count_other': '{n} people',
    'users.more': 'and {n} more: narrow the filters.',
    'users.age': '{n} y/o',
    'users.dept': 'dept. {d}',
    'users.you': '(you)',

    'profile.title': 'Profile',
    'profile.pm': 'Private message',
    'profile.pm_label': 'Your first message',
    'profile.pm_hint': '{name} will see a preview and choose whether to accept.',
    'profile.pm_send': 'Send the request',
    'profile.block': 'Block',
    'profile.unblock': 'Unblock',
    'profile.report': 'Report',
    'profile.invite': 'Invite to “{room}”',
    'dialog.close': 'Close',
    'dialog.cancel': 'Cancel',

    'pm.sent': 'Request sent to {name}.',
    'pm.opened': 'Private chat opened with {name}.',
    'requests.title': 'Private message requests',
    'requests.empty': 'No pending requests.',
    'requests.new': 'New private message request from {name}.',
    'requests.accept': 'Accept',
    'requests.decline': 'Decline',
    'requests.block': 'Block',
    'requests.accept_label': 'Accept the request from {name}',
    'requests.decline_label': 'Decline the request from {name}',
    'invites.title': 'Invitations',
    'invites.from': '{by} invites you to “{room}”',
    'invites.join': 'Join',
    'invites.dismiss': 'Ignore',
    'invites.sent': 'Invitation sent to {name}.',

    'report.title_user': 'Report {name}',
    'report.title_msg': 'Report a message from {name}',
    'report.title_room': 'Report the room “{name}”',
    'report.category': 'Reason',
    'report.text': 'Details (optional)',
    'report.submit': 'Send the report',
    'report.done': 'Report received (no. {id}). Thank you: the moderators will review it.',
    'report.cat.harassment': 'Harassment or insults',
    'report.cat.hate': 'Hate or discrimination',
    'report.cat.sexual': 'Unwanted sexual content',
    'report.cat.minor': 'A minor at risk',
    'report.cat.threat': 'Threats or violence',
    'report.cat.personal_data': 'Personal data exposed',
    'report.cat.spam': 'Spam or scam',
    'report.cat.illegal': 'Other illegal content',
    'report.cat.other': 'Other',

    'block.done': '{name} is blocked.',
    'unblock.done': '{name} is unblocked.',
    'notice.dismiss': 'Dismiss',
    'notice.area': 'Notices',

    'error.network': 'Cannot reach the server. Check your connection and try again.',
    'error.not_connected': 'Offline: try again when the connection is back.',
    'error.unknown': 'Something went wrong ({code}).',
    'error.too_long': 'Message too long.',
    'error.empty': 'The message is empty.',
    'error.not_member': 'You are not in this conversation.',
    'error.not_found': 'Not found.',
    'error.not_allowed': 'This room is not open to your age band.',
    'error.not_invited': 'This private room is invitation-only.',
    'error.room_full': 'This room is full.',
    'error.blocked': 'Not possible: one of you blocked the other.',
    'error.declined': 'This person declined your request.',
    'error.request_pending': 'A request to this person is already pending.',
    'error.too_many_requests': 'You have too many pending requests.',
    'error.already_open': 'A chat with this person is already open.',
    'error.self': 'You cannot do that to yourself.',
    'error.rate_limited': 'Slow down: too many messages at once.',
    'error.unavailable': 'Server unavailable, try again.',
    'error.held_for_review': 'Message held for review.',
    'error.refused_by_policy': 'Message refused by Causette’s rules.',
  },
};

function detectLang() {
  let stored = null;
  try {
    stored = localStorage.getItem(LANG_KEY);
  } catch {
    // Storage can be disabled (private mode, policy): fall back to the browser's language.
  }
  if (SUPPORTED.includes(stored)) return stored;
  const wanted = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);
  for (const tag of wanted) {
    const base = String(tag || '').toLowerCase().split('-')[0];
    if (SUPPORTED.includes(base)) return base;
  }
  return 'fr';
}

let lang = detectLang();
let plurals = new Intl.PluralRules(lang);
const listeners = new Set();

export function getLang() {
  return lang;
}

export function setLang(next) {
  if (!SUPPORTED.includes(next) || next === lang) return;
  lang = next;
  plurals = new Intl.PluralRules(lang);
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // Not persisted: the switch still applies to this page.
  }
  document.documentElement.lang = lang;
  for (const fn of listeners) fn(lang);
}

export function toggleLang() {
  setLang(lang === 'fr' ? 'en' : 'fr');
}

export function onLangChange(fn) {
  listeners.add(fn);
}

export function has(key) {
  return key in CATALOGUE[lang] || key in CATALOGUE.fr;
}

export function t(key, params = {}) {
  let k = key;
  if (typeof params.n === 'number') {
    const form = plurals.select(params.n) === 'one' ? '_one' : '_other';
    if (has(key + form)) k = key + form;
  }
  const template = CATALOGUE[lang][k] ?? CATALOGUE.fr[k] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// Fills static markup: data-i18n="key" sets the text, data-i18n-attr="attr:key;attr2:key2" attributes.
export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}
