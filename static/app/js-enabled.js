// Mark the page as having JavaScript before GOV.UK Frontend initialises (avoids a flash of
// unstyled components). A file, not an inline script, so the Content-Security-Policy can
// forbid inline scripts.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
