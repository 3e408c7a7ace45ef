// Every word of the page, in Italian (the default) and English. The choice is remembered in the
// browser. Static text is marked in the HTML with data-i18n (text), data-i18n-placeholder,
// data-i18n-title and data-i18n-label (aria-label); the rest comes from t().

const STRINGS = {
  it: {
    "app.loading": "Apertura del quaderno…",
    "app.closed.title": "Quaderno si è chiuso",
    "app.closed.body": "Il programma sul tuo computer non risponde più. Avvialo di nuovo con quaderno ui e apri l'indirizzo che scrive.",
    "app.reconnecting": "Riconnessione a Quaderno…",
    "lang.label": "Lingua",
    "search.label": "Cerca nelle note",
    "search.placeholder": "Cerca nelle note…",
    "search.clear": "Cancella la ricerca",
    "nav.label": "Gruppi e filtri",
    "groups.heading": "Gruppi",
    "groups.all": "Tutte le note",
    "groups.personal": "Il mio quaderno",
    "groups.personal.hint": "Solo su questo computer",
    "groups.join": "Entra in un gruppo",
    "groups.online": "In linea",
    "groups.offline": "Non in linea",
    "groups.refused": "Accesso revocato",
    "groups.waiting": "{n} in attesa di invio",
    "filters.heading": "Filtri",
    "filters.tag": "Tag",
    "filters.tag.any": "Tutti i tag",
    "filters.place": "Luogo",
    "filters.place.any": "Tutti i luoghi",
    "filters.from": "Dal",
    "filters.to": "Al",
    "filters.bin": "Cestino",
    "filters.bin.hint": "Note spostate nel cestino",
    "filters.clear": "Togli i filtri",
    "list.label": "Note",
    "list.new": "Nuova nota",
    "list.empty": "Nessuna nota qui.",
    "list.empty.search": "Nessuna nota contiene queste parole.",
    "list.empty.bin": "Il cestino è vuoto.",
    "list.empty.hint": "Scrivi la prima con «Nuova nota».",
    "list.truncated": "Ci sono altre note: restringi la ricerca o i filtri.",
    "list.count.one": "1 nota",
    "list.count.many": "{n} note",
    "list.changed": "modificata {when}",
    "list.bin": "Cestino",
    "note.untitled": "Senza titolo",
    "note.new.title": "Nuova nota",
    "note.none.title": "Nessuna nota aperta",
    "note.none.body": "Scegli una nota dall'elenco, o scrivine una nuova.",
    "note.title.label": "Titolo",
    "note.body.label": "Testo della nota",
    "note.body.placeholder": "Scrivi qui. Il testo si salva da solo mentre scrivi; puoi usare il Markdown (# titoli, **grassetto**, - elenchi).",
    "note.date": "Data dell'incontro",
    "note.place": "Luogo",
    "note.place.placeholder": "es. Palermo",
    "note.participants": "Partecipanti",
    "note.participants.placeholder": "Nomi separati da virgole",
    "note.tags": "Tag",
    "note.tag.add": "Aggiungi un tag",
    "note.tag.remove": "Togli il tag {tag}",
    "note.edit": "Scrivi",
    "note.preview": "Anteprima",
    "note.history": "Cronologia",
    "note.more": "Altre azioni",
    "note.move": "Sposta in un gruppo…",
    "note.export": "Scarica in Markdown",
    "note.delete": "Sposta nel cestino",
    "note.restore": "Ripristina dal cestino",
    "note.deleted.banner": "Questa nota è nel cestino.",
    "note.deleted.done": "Nota spostata nel cestino.",
    "note.restored.done": "Nota ripristinata.",
    "note.undo": "Annulla",
    "note.group": "Gruppo",
    "note.created": "Creata da {who} il {when}",
    "note.saved.local": "Salvata su questo computer",
    "note.saved.synced": "Salvata e condivisa con il gruppo",
    "note.saved.waiting": "Salvata su questo computer · sarà inviata al gruppo appena in linea",
    "note.saved.personal": "Salvata su questo computer · solo per te",
    "note.saved.readonly": "Sola lettura · le note di questo gruppo arrivano qui, ma non si modificano",
    "note.readonly.title": "Sola lettura.",
    "note.readonly.body": "In questo gruppo hai il ruolo di lettore: puoi leggere le note e la loro cronologia, non modificarle. Per scrivere, chiedi a un amministratore del gruppo di darti il ruolo di editor.",
    "list.readonly": "Sola lettura",
    "note.gone": "Questa nota è stata rimossa dal gruppo.",
    "note.reset": "Una modifica non è stata accettata ed è stata annullata.",
    "presence.label": "Chi è nella nota",
    "presence.alone": "Solo tu in questa nota",
    "presence.offline": "Non in linea: chi altro è nella nota si vedrà al ritorno della rete",
    "presence.others": "Anche qui:",
    "presence.person": "{name} ({city})",
    "status.label": "Stato della sincronizzazione",
    "status.online": "In linea",
    "status.offline": "Non in linea",
    "status.partial": "In linea a metà",
    "status.local": "Solo su questo computer",
    "status.waiting.one": "1 nota in attesa di invio",
    "status.waiting.many": "{n} note in attesa di invio",
    "status.synced": "Tutto inviato",
    "status.last": "Ultima sincronizzazione: {when}",
    "status.never": "Mai sincronizzato",
    "status.details": "Dettagli della sincronizzazione",
    "status.relay": "Server: {url}",
    "history.heading": "Cronologia",
    "history.close": "Torna alla nota",
    "history.loading": "Caricamento della cronologia…",
    "history.pick": "Scegli un momento per vedere la nota com'era.",
    "history.version": "La nota com'era dopo questo passo",
    "history.copy": "Copia il testo",
    "history.copied": "Testo copiato: incollalo dove vuoi.",
    "history.restore": "Ripristina questo testo",
    "history.restored": "Titolo e testo ripristinati. Le modifiche degli altri restano unite.",
    "history.current": "Versione attuale",
    "history.changes.one": "1 modifica",
    "history.changes.many": "{n} modifiche",
    "history.created": "ha creato la nota",
    "history.title": "titolo",
    "history.body": "testo +{ins} −{del}",
    "history.tags.added": "tag +{tags}",
    "history.tags.removed": "tag −{tags}",
    "history.date": "data",
    "history.place": "luogo",
    "history.participants": "partecipanti",
    "history.binned": "spostata nel cestino",
    "history.restored.step": "ripristinata dal cestino",
    "history.edited": "modifiche",
    "join.title": "Entra in un gruppo",
    "join.intro": "Il coordinatore del gruppo ti ha dato un indirizzo e un codice di invito.",
    "join.relay": "Indirizzo del gruppo",
    "join.relay.placeholder": "es. https://quaderno.esempio.it",
    "join.code": "Codice di invito",
    "join.code.placeholder": "es. 7K2M-QX9D-4HNP-RT3V",
    "join.you": "Chi sei",
    "join.submit": "Entra",
    "join.done": "Sei nel gruppo «{title}».",
    "welcome.title": "Benvenuto in Quaderno",
    "welcome.intro": "Quaderno tiene le note del tuo gruppo su questo computer e le condivide con gli altri. Per cominciare, dicci chi sei: il tuo nome e la tua città firmano ciò che scrivi.",
    "welcome.name": "Nome",
    "welcome.city": "Città",
    "welcome.submit": "Comincia",
    "welcome.invite": "Ho un codice di invito",
    "move.title": "Sposta in un gruppo",
    "move.intro": "La nota sarà condivisa con il gruppo scelto. Non si può riportare nel quaderno personale.",
    "move.group": "Gruppo",
    "move.submit": "Sposta",
    "move.none": "Non sei ancora in nessun gruppo.",
    "move.done": "Nota spostata in «{title}».",
    "dialog.cancel": "Annulla",
    "dialog.close": "Chiudi",
    "you": "Tu",
    "error.generic": "Qualcosa non ha funzionato: {message}",
    "error.no_identity": "Prima dicci chi sei (nome e città).",
    "error.invalid_identity": "Nome e città servono entrambi, su una riga.",
    "error.unknown_note": "Questa nota non c'è più su questo computer.",
    "error.untitled": "Dai un titolo alla nota.",
    "error.unknown_group": "Questo gruppo non c'è su questo computer.",
    "error.not_personal": "Solo le note del quaderno personale si possono spostare in un gruppo.",
    "error.already_in_group": "La nota è già in quel gruppo.",
    "error.read_only": "In questo gruppo puoi solo leggere: da qui le note non si possono modificare. Per scrivere, chiedi a un amministratore del gruppo di darti il ruolo di editor.",
    "error.invalid_tag": "Un tag è una parola sola, senza spazi né virgole (usa il trattino: visita-domiciliare).",
    "error.invalid_date": "Scrivi la data come AAAA-MM-GG.",
    "error.bad_relay_url": "Questo non sembra un indirizzo: controlla quello che ti ha dato il coordinatore.",
    "error.relay_unreachable": "Il server del gruppo non risponde. Controlla l'indirizzo e la connessione, poi riprova.",
    "error.invite_refused": "Il codice non è stato accettato: forse è scaduto o già usato. Chiedine uno nuovo al coordinatore.",
    "error.group_elsewhere": "Un gruppo con lo stesso nome è già su questo computer, da un altro server.",
    "error.forbidden": "Accesso negato: apri Quaderno con l'indirizzo che ha scritto all'avvio.",
    "time.just_now": "adesso",
  },
  en: {
    "app.loading": "Opening your notebook…",
    "app.closed.title": "Quaderno has stopped",
    "app.closed.body": "The program on your computer no longer answers. Start it again with quaderno ui and open the address it prints.",
    "app.reconnecting": "Reconnecting to Quaderno…",
    "lang.label": "Language",
    "search.label": "Search the notes",
    "search.placeholder": "Search the notes…",
    "search.clear": "Clear the search",
    "nav.label": "Groups and filters",
    "groups.heading": "Groups",
    "groups.all": "All notes",
    "groups.personal": "My notebook",
    "groups.personal.hint": "Only on this computer",
    "groups.join": "Join a group",
    "groups.online": "Online",
    "groups.offline": "Offline",
    "groups.refused": "Access revoked",
    "groups.waiting": "{n} waiting to be sent",
    "filters.heading": "Filters",
    "filters.tag": "Tag",
    "filters.tag.any": "All tags",
    "filters.place": "Place",
    "filters.place.any": "All places",
    "filters.from": "From",
    "filters.to": "To",
    "filters.bin": "Bin",
    "filters.bin.hint": "Notes moved to the bin",
    "filters.clear": "Clear filters",
    "list.label": "Notes",
    "list.new": "New note",
    "list.empty": "No notes here.",
    "list.empty.search": "No note holds these words.",
    "list.empty.bin": "The bin is empty.",
    "list.empty.hint": "Write the first one with “New note”.",
    "list.truncated": "There are more notes: narrow the search or the filters.",
    "list.count.one": "1 note",
    "list.count.many": "{n} notes",
    "list.changed": "changed {when}",
    "list.bin": "Bin",
    "note.untitled": "Untitled",
    "note.new.title": "New note",
    "note.none.title": "No note open",
    "note.none.body": "Pick a note from the list, or write a new one.",
    "note.title.label": "Title",
    "note.body.label": "Text of the note",
    "note.body.placeholder": "Write here. The text saves itself as you type; you can use Markdown (# headings, **bold**, - lists).",
    "note.date": "Meeting date",
    "note.place": "Place",
    "note.place.placeholder": "e.g. Palermo",
    "note.participants": "Participants",
    "note.participants.placeholder": "Names separated by commas",
    "note.tags": "Tags",
    "note.tag.add": "Add a tag",
    "note.tag.remove": "Remove the tag {tag}",
    "note.edit": "Write",
    "note.preview": "Preview",
    "note.history": "History",
    "note.more": "More actions",
    "note.move": "Move to a group…",
    "note.export": "Download as Markdown",
    "note.delete": "Move to the bin",
    "note.restore": "Restore from the bin",
    "note.deleted.banner": "This note is in the bin.",
    "note.deleted.done": "Note moved to the bin.",
    "note.restored.done": "Note restored.",
    "note.undo": "Undo",
    "note.group": "Group",
    "note.created": "Created by {who} on {when}",
    "note.saved.local": "Saved on this computer",
    "note.saved.synced": "Saved and shared with the group",
    "note.saved.waiting": "Saved on this computer · will reach the group once online",
    "note.saved.personal": "Saved on this computer · only for you",
    "note.saved.readonly": "Read only · this group's notes arrive here, but cannot be changed",
    "note.readonly.title": "Read only.",
    "note.readonly.body": "Your role in this group is reader: you can read its notes and their history, not change them. To write, ask one of the group's admins to make you an editor.",
    "list.readonly": "Read only",
    "note.gone": "This note was removed from the group.",
    "note.reset": "A change was not accepted and has been undone.",
    "presence.label": "Who is in the note",
    "presence.alone": "Only you in this note",
    "presence.offline": "Offline: who else is in the note will show once the network is back",
    "presence.others": "Also here:",
    "presence.person": "{name} ({city})",
    "status.label": "Sync status",
    "status.online": "Online",
    "status.offline": "Offline",
    "status.partial": "Partly online",
    "status.local": "Only on this computer",
    "status.waiting.one": "1 note waiting to be sent",
    "status.waiting.many": "{n} notes waiting to be sent",
    "status.synced": "Everything sent",
    "status.last": "Last sync: {when}",
    "status.never": "Never synced",
    "status.details": "Sync details",
    "status.relay": "Server: {url}",
    "history.heading": "History",
    "history.close": "Back to the note",
    "history.loading": "Loading the history…",
    "history.pick": "Pick a moment to see the note as it was.",
    "history.version": "The note as it was after this step",
    "history.copy": "Copy the text",
    "history.copied": "Text copied: paste it wherever you like.",
    "history.restore": "Restore this text",
    "history.restored": "Title and text restored. Others' changes stay merged in.",
    "history.current": "Current version",
    "history.changes.one": "1 change",
    "history.changes.many": "{n} changes",
    "history.created": "created the note",
    "history.title": "title",
    "history.body": "text +{ins} −{del}",
    "history.tags.added": "tags +{tags}",
    "history.tags.removed": "tags −{tags}",
    "history.date": "date",
    "history.place": "place",
    "history.participants": "participants",
    "history.binned": "moved to the bin",
    "history.restored.step": "restored from the bin",
    "history.edited": "changes",
    "join.title": "Join a group",
    "join.intro": "The group's coordinator gave you an address and an invite code.",
    "join.relay": "Address of the group",
    "join.relay.placeholder": "e.g. https://quaderno.example.org",
    "join.code": "Invite code",
    "join.code.placeholder": "e.g. 7K2M-QX9D-4HNP-RT3V",
    "join.you": "Who you are",
    "join.submit": "Join",
    "join.done": "You are in the group “{title}”.",
    "welcome.title": "Welcome to Quaderno",
    "welcome.intro": "Quaderno keeps your group's notes on this computer and shares them with the others. To begin, tell us who you are: your name and city sign what you write.",
    "welcome.name": "Name",
    "welcome.city": "City",
    "welcome.submit": "Begin",
    "welcome.invite": "I have an invite code",
    "move.title": "Move to a group",
    "move.intro": "The note will be shared with the group you choose. It cannot go back to the personal notebook.",
    "move.group": "Group",
    "move.submit": "Move",
    "move.none": "You are not in any group yet.",
    "move.done": "Note moved to “{title}”.",
    "dialog.cancel": "Cancel",
    "dialog.close": "Close",
    "you": "You",
    "error.generic": "Something went wrong: {message}",
    "error.no_identity": "First tell us who you are (name and city).",
    "error.invalid_identity": "Both name and city are needed, on one line each.",
    "error.unknown_note": "This note is no longer on this computer.",
    "error.untitled": "Give the note a title.",
    "error.unknown_group": "This group is not on this computer.",
    "error.not_personal": "Only notes of the personal notebook can be moved into a group.",
    "error.already_in_group": "The note is already in that group.",
    "error.read_only": "In this group you can only read: notes cannot be changed from here. To write, ask one of the group's admins to make you an editor.",
    "error.invalid_tag": "A tag is a single word, without spaces or commas (use a dash: home-visit).",
    "error.invalid_date": "Write the date as YYYY-MM-DD.",
    "error.bad_relay_url": "This does not look like an address: check the one your coordinator gave you.",
    "error.relay_unreachable": "The group's server does not answer. Check the address and the connection, then try again.",
    "error.invite_refused": "The code was not accepted: it may have expired or been used. Ask your coordinator for a new one.",
    "error.group_elsewhere": "A group with the same name is already on this computer, from another server.",
    "error.forbidden": "Access refused: open Quaderno with the address it printed when it started.",
    "time.just_now": "just now",
  },
};

const KEY = "quaderno.lang";
let lang = pick();
const listeners = [];

function pick() {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved && STRINGS[saved]) return saved;
  } catch {
    // Storage may be off: Italian it is.
  }
  return "it";
}

export function language() {
  return lang;
}

export function setLanguage(next) {
  if (!STRINGS[next] || next === lang) return;
  lang = next;
  try {
    localStorage.setItem(KEY, next);
  } catch {
    // Not remembered, still switched.
  }
  translate(document);
  for (const listener of listeners) listener(lang);
}

export function onLanguage(listener) {
  listeners.push(listener);
}

/** The string `key` in the current language, with `{name}` replaced from `vars`. */
export function t(key, vars = {}) {
  const text = STRINGS[lang][key] ?? STRINGS.it[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** Translates the marked elements under `root`. */
export function translate(root) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  }
}

/** A day, as people write it: "12 mar 2025". */
export function formatDay(isoDay) {
  if (!isoDay) return "";
  const [y, m, d] = isoDay.split("-").map(Number);
  return new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", year: "numeric" }).format(
    new Date(y, m - 1, d),
  );
}

/** A moment: "12 mar 2025, 14:02". */
export function formatTime(iso) {
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

/** Only the clock: "14:02". */
export function formatClock(iso) {
  return new Intl.DateTimeFormat(lang, { timeStyle: "short" }).format(new Date(iso));
}

/** "5 minutes ago", "yesterday", or the date when long ago. */
export function formatAgo(iso) {
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  const abs = Math.abs(seconds);
  if (abs < 45) return t("time.just_now");
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), "hour");
  if (abs < 7 * 86400) return rtf.format(Math.round(seconds / 86400), "day");
  return formatDay(iso.slice(0, 10));
}

/** The message for an error from the API, in the current language. */
export function errorText(error) {
  const key = `error.${error?.code}`;
  if (error?.code && (STRINGS[lang][key] || STRINGS.it[key])) return t(key);
  return t("error.generic", { message: error?.message ?? String(error) });
}
