// The portal's only script besides htmx: the Content-Security-Policy allows no inline script
// and no eval, so behaviour that htmx's trigger filters would need eval for lives here.

// Escape closes the open dialog: its Cancel link listens for "escapekey" from body.
document.addEventListener("keyup", function (event) {
  if (event.key === "Escape") {
    document.body.dispatchEvent(new CustomEvent("escapekey"));
  }
});
