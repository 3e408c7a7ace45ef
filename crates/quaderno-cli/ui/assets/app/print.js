// The print view of a note: its button opens the browser's print dialog (where "Save as PDF"
// is too).
document.querySelector("#print-now")?.addEventListener("click", () => window.print());
