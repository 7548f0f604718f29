// The GOV.UK timeout warning (WCAG 2.2.1 Timing adjustable). See core/session.py.
//
// The session ends after data-timeout-seconds without a request. Every page load (in any tab of
// this browser) records the time in localStorage, so a tab that sits idle while another is used
// does not warn early. data-warning-seconds before the end a modal dialog offers "Stay signed in",
// which POSTs to the extend URL. If time runs out, what was typed in the page's form is sent to
// the keep URL (which signs out and keeps it) and the page goes to sign-in, coming back to this
// page, with the text put back, afterwards.
const dialog = document.getElementById("app-timeout-dialog");
const STORAGE_KEY = "app-session-last-activity";
let pageActivity = Date.now();

function now() {
  return Date.now();
}

function lastActivity() {
  let stored = 0;
  try {
    stored = Number(window.localStorage.getItem(STORAGE_KEY)) || 0;
  } catch {
    stored = 0; // storage blocked: this tab's own time only
  }
  return Math.max(stored, pageActivity);
}

function recordActivity() {
  pageActivity = now();
  try {
    window.localStorage.setItem(STORAGE_KEY, String(pageActivity));
  } catch {
    // storage blocked: nothing to share between tabs
  }
}

function inWords(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  const parts = [];
  if (minutes > 0) parts.push(`${minutes} minute${minutes === 1 ? "" : "s"}`);
  if (rest > 0 || minutes === 0) parts.push(`${rest} second${rest === 1 ? "" : "s"}`);
  return parts.join(" ");
}

// What was typed in the page's first changed POST form (never passwords, files or the token).
function typedForm() {
  const forms = Array.from(document.querySelectorAll("form[method='post' i]")).filter(
    (form) => !dialog.contains(form) && !form.closest(".govuk-service-navigation"),
  );
  for (const form of forms) {
    const changed = Array.from(form.elements).some((el) => {
      if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
      if (el.tagName === "SELECT") return Array.from(el.options).some((o) => o.selected !== o.defaultSelected);
      if (el.type === "file") return el.files && el.files.length > 0;
      if (el.type === "hidden" || el.type === "password") return false;
      return "defaultValue" in el && el.value !== el.defaultValue;
    });
    if (!changed) continue;
    const data = new FormData(form);
    let hadFiles = false;
    for (const el of form.elements) {
      if (!el.name) continue;
      if (el.type === "file") {
        hadFiles = hadFiles || (el.files && el.files.length > 0);
        data.delete(el.name);
      } else if (el.type === "password") {
        data.delete(el.name);
      }
    }
    // The CSRF token comes from the dialog's own form below.
    data.delete("csrfmiddlewaretoken");
    return { form, data, hadFiles };
  }
  return null;
}

if (dialog && typeof dialog.showModal === "function") {
  const timeoutMs = Number(dialog.dataset.timeoutSeconds) * 1000;
  const warningMs = Number(dialog.dataset.warningSeconds) * 1000;
  // Act a few seconds before the server would, so "Stay signed in" is never too late.
  const marginMs = 5000;
  const countdown = dialog.querySelector("[data-timeout-countdown]");
  const announce = dialog.querySelector("[data-timeout-announce]");
  const live = dialog.querySelector("[data-timeout-live]");
  const extendForm = dialog.querySelector("[data-timeout-extend]");
  const token = extendForm.querySelector("[name=csrfmiddlewaretoken]").value;
  let returnFocus = null;
  let lastAnnounced = null;
  let ending = false;

  recordActivity();

  const secondsLeft = () => Math.max(0, Math.ceil((lastActivity() + timeoutMs - marginMs - now()) / 1000));

  function show(seconds) {
    const text = inWords(seconds);
    countdown.textContent = text;
    announce.textContent = `For your security, we will sign you out in ${text}.`;
    // Screen readers hear the time when the dialog opens, then each half minute (not every second).
    const step = seconds > 60 ? 60 : 30;
    const bucket = Math.ceil(seconds / step);
    if (lastAnnounced !== null && bucket !== lastAnnounced && seconds > 0) {
      live.textContent = `We will sign you out in ${text}.`;
    }
    lastAnnounced = bucket;
  }

  function open() {
    returnFocus = document.activeElement;
    lastAnnounced = null;
    show(secondsLeft());
    dialog.showModal();
    dialog.querySelector("#app-timeout-title").focus();
  }

  function close() {
    if (dialog.open) dialog.close();
    live.textContent = "";
    if (returnFocus && typeof returnFocus.focus === "function") returnFocus.focus();
    returnFocus = null;
  }

  async function extend() {
    const body = new FormData(extendForm);
    try {
      const response = await fetch(extendForm.action, {
        method: "POST",
        body,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const type = response.headers.get("content-type") || "";
      if (!response.ok || !type.startsWith("application/json")) throw new Error("not extended");
      recordActivity();
      close();
    } catch {
      expire();
    }
  }

  async function expire() {
    if (ending) return;
    ending = true;
    const typed = typedForm();
    const page = window.location.pathname;
    const query = new URLSearchParams({ page });
    let body = new FormData();
    if (typed) {
      body = typed.data;
      query.set("action", new URL(typed.form.action, window.location.href).pathname);
      if (typed.hadFiles) query.set("files", "1");
    }
    body.set("csrfmiddlewaretoken", token);
    let target = `${dialog.dataset.signInUrl}?${new URLSearchParams({ next: page, timeout: "1" })}`;
    try {
      const response = await fetch(`${dialog.dataset.keepUrl}?${query}`, {
        method: "POST",
        body,
        credentials: "same-origin",
      });
      if (response.redirected) target = response.url; // sign-in, then back here with the text
    } catch {
      // Could not keep the text: sign-in still explains that the session ended.
    }
    window.location.assign(target);
  }

  extendForm.addEventListener("submit", (event) => {
    event.preventDefault();
    extend();
  });
  // Escape closes a modal dialog: treat it as "Stay signed in".
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    extend();
  });

  window.setInterval(() => {
    if (ending) return;
    const seconds = secondsLeft();
    if (seconds <= 0) {
      expire();
    } else if (seconds * 1000 <= warningMs) {
      if (!dialog.open) open();
      else show(seconds);
    } else if (dialog.open) {
      close(); // extended in another tab
    }
  }, 1000);
}
