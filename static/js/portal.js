// The portal's only script besides htmx: the Content-Security-Policy allows no inline script
// and no eval, so behaviour that htmx's trigger filters would need eval for lives here.

// A calendar in a hidden tab asks nothing: each tick of the week's poller is dropped before
// it is sent (htmx:confirm), and the tick after the tab shows again (within a second) asks as
// before. The poller keeps its hx-trigger, so a region reload still brings a working one.
document.addEventListener("htmx:confirm", function (event) {
  if (event.target.id === "week-poller" && document.visibilityState === "hidden") {
    event.preventDefault();
  }
});

// Escape, in this order: the help panel closes when focus is in it (or nothing else is
// open); an open dialog with unsaved changes asks first, inside the dialog; otherwise the
// dialog's Cancel link closes it (it listens for "escapekey" from body).
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape" || event.defaultPrevented) return;
  if (window.portalHelp && window.portalHelp.closeOnEscape()) return;
  if (window.portalDialog && window.portalDialog.escape()) {
    event.preventDefault();
    return;
  }
  document.body.dispatchEvent(new CustomEvent("escapekey"));
});

// The dialog in #modal (the event form, Google's events, Disconnect, Change calendar): Tab
// and Shift+Tab stay inside it, focus goes back where it was when it closes, and Escape
// does not throw typed text away without asking (templates/calendar/_discard_confirm.html).
window.portalDialog = (function () {
  var TABBABLE = "a[href], button, input, select, textarea, [tabindex]";
  var opener = null;
  var openerKey = null;
  var snapshot = "";
  var unsaved = false;

  function openDialog() {
    var modal = document.getElementById("modal");
    return modal && modal.querySelector("[role=dialog]");
  }
  function confirmBox(dialog) {
    var box = dialog.querySelector(".discard-confirm");
    return box && !box.hidden ? box : null;
  }
  function tabbable(root) {
    return Array.prototype.filter.call(root.querySelectorAll(TABBABLE), function (el) {
      return !el.disabled && el.tabIndex >= 0 && el.type !== "hidden" &&
        el.getClientRects().length > 0 && !el.closest("[hidden]");
    });
  }
  function formState(dialog) {
    return Array.prototype.map.call(dialog.querySelectorAll("form"), function (form) {
      var values = new URLSearchParams(new FormData(form));
      values.delete("csrf_token");
      return values.toString();
    }).join("&");
  }
  // How to find an element again once the week region it was in has been drawn anew.
  function keyOf(el) {
    if (!el || el === document.body) return null;
    if (el.dataset.eventId) {
      return '[data-event-id="' + CSS.escape(el.dataset.eventId) + '"]' +
        (el.dataset.day ? '[data-day="' + CSS.escape(el.dataset.day) + '"]' : "");
    }
    var item = el.closest("[data-agenda-event-id]");
    if (item) {
      return '[data-agenda-event-id="' + CSS.escape(item.dataset.agendaEventId) + '"] .agenda-title';
    }
    if (el.id) return "#" + CSS.escape(el.id);
    var get = el.getAttribute("hx-get");
    return get ? '[hx-get="' + CSS.escape(get) + '"]' : null;
  }
  function focusAgain(el, key) {
    var target = el && el.isConnected ? el : key && document.querySelector(key);
    if (target) target.focus();
    return Boolean(target);
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target && target.id === "modal" && !openDialog()) {
      opener = document.activeElement;
      openerKey = keyOf(opener);
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "modal") return;
    var dialog = openDialog();
    if (!dialog) {
      // Closed: back to the opener, or, once the week is drawn anew, to its new copy.
      if (!focusAgain(opener, openerKey)) window.portalFocusAfterWeek = openerKey;
      opener = null;
      return;
    }
    // A form sent back with its errors holds what was typed, and is not saved yet.
    unsaved = event.detail.xhr && event.detail.xhr.status === 400;
    snapshot = formState(dialog);
    if (!dialog.contains(document.activeElement)) {
      var first = dialog.querySelector("[autofocus]") || tabbable(dialog)[0];
      if (first) first.focus();
    }
  });

  document.addEventListener("keydown", function (event) {
    var dialog = openDialog();
    if (event.key !== "Tab" || !dialog) return;
    var inside = tabbable(confirmBox(dialog) || dialog);
    if (!inside.length) return;
    var first = inside[0];
    var last = inside[inside.length - 1];
    var active = document.activeElement;
    var helpPanel = document.getElementById("help-panel");
    if (helpPanel && helpPanel.contains(active)) return;
    if (inside.indexOf(active) === -1 && !(confirmBox(dialog) || dialog).contains(active)) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    } else if (event.shiftKey && active === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  });
  // Focus reaching the page behind (a click on the backdrop, a script) comes back inside.
  document.addEventListener("focusin", function (event) {
    var dialog = openDialog();
    var helpPanel = document.getElementById("help-panel");
    if (!dialog || dialog.contains(event.target)) return;
    if (helpPanel && helpPanel.contains(event.target)) return;
    var first = tabbable(dialog)[0];
    if (first) first.focus();
  });

  function ask(dialog) {
    var box = dialog.querySelector(".discard-confirm");
    if (!box) return false;
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
    box.querySelector("[data-discard=no]").focus();
    return true;
  }
  function keepEditing(dialog) {
    var box = dialog.querySelector(".discard-confirm");
    box.hidden = true;
    var first = dialog.querySelector("[autofocus]") || tabbable(dialog)[0];
    if (first) first.focus();
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-discard]");
    var dialog = openDialog();
    if (!button || !dialog) return;
    if (button.dataset.discard === "yes") {
      document.body.dispatchEvent(new CustomEvent("escapekey"));
    } else {
      keepEditing(dialog);
    }
  });

  return {
    // Escape in a dialog: true when it was handled here (asked, or the question closed).
    escape: function () {
      var dialog = openDialog();
      if (!dialog) return false;
      if (confirmBox(dialog)) {
        keepEditing(dialog);
        return true;
      }
      if (unsaved || formState(dialog) !== snapshot) return ask(dialog);
      return false;
    },
  };
})();

// After the week region is drawn anew (a save, a change from Google), focus goes back to
// the same event or button, when it was there or a dialog that it opened just closed.
(function () {
  document.addEventListener("htmx:beforeSwap", function (event) {
    var region = document.getElementById("week");
    if (region && event.detail.target === region && region.contains(document.activeElement)) {
      var active = document.activeElement;
      window.portalFocusAfterWeek = active.id ? "#" + CSS.escape(active.id) :
        active.dataset.eventId ? '[data-event-id="' + CSS.escape(active.dataset.eventId) + '"]' : null;
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    var key = window.portalFocusAfterWeek;
    var active = document.activeElement;
    if (!key || (active && active !== document.body && active.isConnected)) return;
    var target = document.querySelector(key);
    if (target) {
      target.focus();
      window.portalFocusAfterWeek = null;
    }
  });
})();

// The help panel (templates/help/_panel.html) takes focus when it opens; Escape or Close
// empties it, and focus goes back to the ? button.
window.portalHelp = (function () {
  function panel() {
    return document.getElementById("help-panel");
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "help-panel") return;
    var content = target.querySelector(".help-content");
    if (content && !content.contains(document.activeElement)) {
      content.focus();
    } else if (!content) {
      var button = document.querySelector(".help-button");
      if (button) button.focus();
    }
  });
  return {
    // Escape: true when it closed the help panel.
    closeOnEscape: function () {
      var help = panel();
      var close = help && help.querySelector("#help-close");
      if (!close) return false;
      var modal = document.getElementById("modal");
      var dialogOpen = modal && modal.querySelector("[role=dialog]");
      if (dialogOpen && !help.contains(document.activeElement)) return false;
      close.click();
      return true;
    },
  };
})();

// A week reload the poller caused (a change from Google, or from another screen) sends what
// the page showed, so the answer can say what changed in #week-changes (week_changes.py).
(function () {
  var changedByPoll = false;
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail.xhr;
    if (event.detail.elt.id === "week-poller" && xhr.getResponseHeader("HX-Trigger")) {
      changedByPoll = true;
    }
  });
  document.addEventListener("htmx:configRequest", function (event) {
    var shown = document.getElementById("week-shown");
    if (!changedByPoll || event.detail.elt.id !== "week" || !shown) return;
    changedByPoll = false;
    event.detail.parameters.shown = shown.getAttribute("data-shown");
  });
})();

// A saved change names its event's first day (calendar/view_support.py). When the region does
// not show that day (a new event late in the evening starts tomorrow), it reloads on that day
// instead of the one it shows, and the address follows, so the saved event is in sight.
document.addEventListener("htmx:configRequest", function (event) {
  var week = event.detail.elt;
  var trigger = event.detail.triggeringEvent;
  var day = trigger && trigger.type === "calendarChanged" && trigger.detail && trigger.detail.day;
  if (week.id !== "week" || !day) return;
  if (day >= week.getAttribute("data-first") && day <= week.getAttribute("data-last")) return;
  var url = new URL(event.detail.path, window.location.href);
  url.searchParams.set(url.searchParams.has("week") ? "week" : "date", day);
  event.detail.path = url.pathname + url.search;
  history.replaceState(history.state, "", event.detail.path);
});

// The event form's weekly days follow the start date until a day is ticked by hand
// (the hidden weekdays_auto says so to the server too: calendar/forms.py).
(function () {
  var CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
  document.addEventListener("change", function (event) {
    var input = event.target;
    var form = input.form;
    if (!form || !form.classList.contains("event-form")) return;
    var auto = form.querySelector("[name=weekdays_auto]");
    if (!auto) return;
    if (input.name === "weekdays") {
      auto.value = "";
    } else if ((input.name === "start" || input.name === "start_date") && auto.value === "1") {
      var parts = /^(\d{4})-(\d{2})-(\d{2})/.exec(input.value);
      if (!parts) return;
      var day = new Date(Date.UTC(+parts[1], +parts[2] - 1, +parts[3])).getUTCDay();
      var code = CODES[(day + 6) % 7];
      form.querySelectorAll("input[name=weekdays]").forEach(function (box) {
        box.checked = box.value === code;
      });
    }
  });
})();

// The calendar on a phone, and the hour its grid opens at (calendar/week.html, _week.html).
(function () {
  // Opened with no view chosen, a phone-width screen shows the day instead of the week. Without
  // this script the week still fits: calendar.css shows its agenda in place of the grid.
  var phone = document.querySelector("[data-phone-view]");
  if (phone && window.matchMedia("(max-width: 40rem)").matches) {
    window.location.replace(phone.getAttribute("data-phone-view"));
    return;
  }
  // The hours open at data-scroll-hour (7 am, or the first start before it, chosen by the
  // server); a region reloaded for a change to the same days keeps the coordinator's place.
  var kept = null;
  var opened = null;
  function placeOf(region) {
    return region.getAttribute("data-view") + " " + region.getAttribute("data-first");
  }
  function openHours() {
    var region = document.getElementById("week");
    var scroller = region && region.querySelector(".wk-scroll");
    var hour = scroller && scroller.querySelector(".wk-hour-label");
    if (!hour || region === opened) return;
    opened = region;
    if (kept && kept.place === placeOf(region)) {
      scroller.scrollTop = kept.top;
    } else {
      scroller.scrollTop = Number(scroller.getAttribute("data-scroll-hour")) * hour.offsetHeight;
    }
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    var region = document.getElementById("week");
    var scroller = region && region.querySelector(".wk-scroll");
    if (scroller && event.detail.target === region) {
      kept = { place: placeOf(region), top: scroller.scrollTop };
    }
  });
  document.addEventListener("htmx:afterSettle", openHours);
  openHours();
})();
