// A date field that reads and writes day/month/year (12/03/2025 is 12 March), whatever the
// browser's own language: the browser's date input shows mm/dd/yyyy to an English browser,
// which an Italian reads as 3 December. The calendar button still opens the browser's picker;
// what the field shows and takes is ours.

import { h, icon } from "./dom.js";
import { t } from "./i18n.js";

/** Turns the text input `input` into a day/month/year field; `onchange(iso)` gets the day as
 *  YYYY-MM-DD ("" when emptied) whenever the person sets a valid one. Returns its controller:
 *  `iso` (get and set), `input`, and `relabel()` after a change of language. */
export function dateField(input, { onchange }) {
  input.type = "text";
  input.inputMode = "numeric";
  input.autocomplete = "off";
  input.spellcheck = false;
  input.classList.add("date-input");
  const hintId = `${input.id}-hint`;
  const hint = h("small", { class: "field-hint missing date-hint", id: hintId, hidden: true });
  const native = h("input", { type: "date", class: "date-native", tabindex: "-1", "aria-hidden": "true" });
  const pick = h("button", { type: "button", class: "date-pick" }, calendarIcon());
  const wrap = h("span", { class: "date-field" });
  input.replaceWith(wrap);
  wrap.append(input, pick, native);
  wrap.after(hint);

  let iso = "";
  const show = (value) => {
    iso = value;
    input.value = formatDate(value);
    valid(true);
  };
  const valid = (ok) => {
    hint.hidden = ok;
    if (ok) {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    } else {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", hintId);
      hint.textContent = t("date.invalid");
    }
  };
  const relabel = () => {
    input.placeholder = t("date.placeholder");
    pick.setAttribute("aria-label", t("date.pick"));
    pick.title = t("date.pick");
    if (!hint.hidden) hint.textContent = t("date.invalid");
  };
  relabel();

  input.addEventListener("change", () => {
    const typed = input.value.trim();
    if (typed === "") {
      show("");
      return onchange("");
    }
    const parsed = parseDate(typed);
    if (!parsed) return valid(false);
    show(parsed);
    onchange(parsed);
  });
  pick.addEventListener("click", () => {
    if (input.disabled) return;
    native.value = iso;
    try {
      native.showPicker();
    } catch {
      input.focus();
    }
  });
  native.addEventListener("change", () => {
    show(native.value);
    onchange(native.value);
    input.focus();
  });

  return {
    input,
    get iso() {
      return iso;
    },
    set iso(value) {
      show(value ?? "");
    },
    set disabled(off) {
      input.disabled = off;
      pick.disabled = off;
    },
    relabel,
  };
}

/** "2025-03-12" as "12/03/2025"; "" stays "". */
export function formatDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso ?? "");
  return m ? `${m[3]}/${m[2]}/${m[1]}` : "";
}

/** What a person typed as a day: "12/03/2025", "12-03-2025", "12.3.2025", "12/3/25" (day
 *  first) or "2025-03-12", as YYYY-MM-DD; null when it is not a real day. */
export function parseDate(text) {
  const s = text.trim();
  let day, month, year;
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (m) {
    [year, month, day] = [m[1], m[2], m[3]].map(Number);
  } else {
    m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$/.exec(s);
    if (!m) return null;
    [day, month, year] = [m[1], m[2], m[3]].map(Number);
    if (m[3].length === 2) year += 2000;
  }
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

const calendarIcon = () => icon('<rect x="3" y="4.5" width="14" height="12" rx="1.5"/><path d="M3 8.5h14M7 3v3M13 3v3"/>');
