// Put back what was typed in a form sent after the session ended (core/session.py). The page's
// banner (templates/includes/kept_form.html) explains; this fills the form the text came from.
const source = document.getElementById("app-kept-form");
if (source) {
  const kept = JSON.parse(source.textContent);
  const forms = Array.from(document.querySelectorAll("form[method='post' i]"));
  const form =
    forms.find((f) => new URL(f.action, window.location.href).pathname === kept.action) ||
    forms.find((f) => !f.closest(".govuk-service-navigation") && !f.closest("dialog"));
  if (form) {
    for (const [name, values] of Object.entries(kept.fields)) {
      const elements = Array.from(form.elements).filter((el) => el.name === name);
      for (const el of elements) {
        if (el.type === "checkbox" || el.type === "radio") {
          el.checked = values.includes(el.value);
        } else if (el.tagName === "SELECT") {
          for (const option of el.options) option.selected = values.includes(option.value);
        } else if (el.type !== "file" && el.type !== "password" && el.type !== "hidden") {
          el.value = values[elements.indexOf(el)] ?? values[0];
        }
      }
    }
  }
}
