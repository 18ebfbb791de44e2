// antirelou console: the live reply counter. The page works without it
// (the figures are rendered by the server); with it, each change of the
// reply asks the server for its characters, encoding, segments and cost,
// computed by the same rules as a saved reply (no rule is copied here).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-preview]");
  if (!form) return;
  const text = form.querySelector("textarea[name=reply]");
  const csrf = form.querySelector("input[name=csrf]").value;
  const problem = document.getElementById("reply-problem");
  let timer = null;
  let asked = 0;
  const update = async () => {
    const mine = ++asked;
    const response = await fetch(form.dataset.preview, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
      body: new URLSearchParams({ reply: text.value }),
      credentials: "same-origin",
    });
    if (!response.ok || mine !== asked) return;
    const figures = await response.json();
    for (const name of ["characters", "encoding", "segments", "cost", "ucs2"]) {
      const cell = form.querySelector(`[data-figure=${name}]`);
      if (cell) cell.textContent = String(figures[name]);
    }
    document.getElementById("ucs2").hidden = !figures.ucs2;
    document.getElementById("replace-ucs2").hidden = !figures.replaceable;
    problem.hidden = !figures.problem;
    problem.textContent = figures.problem || "";
  };
  text.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(update, 150);
  });
});
