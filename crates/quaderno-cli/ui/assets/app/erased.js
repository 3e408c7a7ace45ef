// Telling that a note was erased from its group for everyone: by whom, on which day, why, and
// whether edits made here and not yet sent went with it.

import { t, formatDayOf } from "./i18n.js";
import { actorName } from "./admin-invites.js";

/** "La nota «Verbale» è stata cancellata dal coordinamento (Elena Rossi) il 4 dic 2026
 *  (motivo: …): le modifiche non inviate sono state eliminate." */
export function erasedText(erasure) {
  const vars = {
    title: erasure.title || t("note.untitled"),
    by: actorName(erasure.erased_by),
    day: formatDayOf(erasure.erased_at),
    reason: erasure.reason,
  };
  if (erasure.successor) {
    // A redaction: a passage left the note and its history; the note goes on.
    const told = t(erasure.reason ? "redacted.told" : "redacted.told.plain", vars);
    return t(erasure.lost_edits ? "redacted.told.carried" : "redacted.told.end", { told });
  }
  const told = t(erasure.reason ? "erased.told" : "erased.told.plain", vars);
  return t(erasure.lost_edits ? "erased.told.lost" : "erased.told.end", { told });
}

/** The heading over that message. */
export function erasedTitle(erasure) {
  return t(erasure.successor ? "redacted.title" : "erased.title");
}
