// The safety centre (/securite): a static page whose text comes from the one catalogue, so it
// follows the language switch like the chat.

import { applyI18n, onLangChange, toggleLang } from './i18n.js';

applyI18n();
onLangChange(() => applyI18n());
document.getElementById('lang-switch').addEventListener('click', toggleLang);
