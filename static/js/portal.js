// The portal's only script besides htmx: the Content-Security-Policy allows no inline script
// and no eval, so behaviour that htmx's trigger filters would need eval for lives here.

// Escape closes the open dialog: its Cancel link listens for "escapekey" from body.
document.addEventListener("keyup", function (event) {
  if (event.key === "Escape") {
    document.body.dispatchEvent(new CustomEvent("escapekey"));
  }
});

// A calendar in a hidden tab asks nothing: each tick of the week's poller is dropped before
// it is sent (htmx:confirm), and the tick after the tab shows again (within a second) asks as
// before. The poller keeps its hx-trigger, so a region reload still brings a working one.
document.addEventListener("htmx:confirm", function (event) {
  if (event.target.id === "week-poller" && document.visibilityState === "hidden") {
    event.preventDefault();
  }
});
