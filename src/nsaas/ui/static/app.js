// nsaas UI behaviour that htmx does not cover. Loaded from this origin only (CSP: no inline script).
(function () {
  "use strict";

  var THEME_KEY = "nsaas-theme";

  // Theme: the system's choice until the toggle picks light or dark (remembered in this browser).
  function applyTheme(choice) {
    if (choice === "light" || choice === "dark") {
      document.documentElement.setAttribute("data-theme", choice);
    } else {
      document.documentElement.removeAttribute("data-theme");
    }
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.textContent = "Theme: " + (choice || "system");
    });
  }
  function storedTheme() {
    try { return window.localStorage.getItem(THEME_KEY) || ""; } catch (e) { return ""; }
  }
  applyTheme(storedTheme());
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-theme-toggle]");
    if (!button) return;
    var order = ["", "light", "dark"];
    var next = order[(order.indexOf(storedTheme()) + 1) % order.length];
    try { window.localStorage.setItem(THEME_KEY, next); } catch (e) { /* private mode: not remembered */ }
    applyTheme(next);
  });

  // Request form: remember which fields the user edited, so the live preview shows messages
  // for those (and for filled fields) instead of "is required" under every untouched field.
  function trackTouched(event) {
    var form = event.target.form;
    if (!form || !event.target.name) return;
    var store = form.querySelector("[data-touched]");
    if (!store) return;
    var names = store.value ? store.value.split(",") : [];
    if (names.indexOf(event.target.name) === -1) {
      names.push(event.target.name);
      store.value = names.join(",");
    }
  }
  document.addEventListener("input", trackTouched, true);
  document.addEventListener("change", trackTouched, true);

  // Decommission: the button stays disabled until the exact name is typed (the server checks too).
  function syncConfirm(root) {
    root.querySelectorAll("input[data-confirm]").forEach(function (input) {
      var button = input.form && input.form.querySelector("[data-confirm-button]");
      if (!button) return;
      var update = function () { button.disabled = input.value.trim() !== input.dataset.confirm; };
      if (!input.dataset.bound) {
        input.addEventListener("input", update);
        input.dataset.bound = "1";
      }
      update();
    });
  }

  // Every field whose message slot has text is marked invalid for assistive technology, and
  // valid again when the message goes (the slots are swapped by the live preview).
  function syncInvalid(root) {
    root.querySelectorAll("[aria-describedby]").forEach(function (control) {
      if (!/^(INPUT|SELECT|TEXTAREA)$/.test(control.tagName)) return;
      var invalid = control.getAttribute("aria-describedby").split(/\s+/).some(function (id) {
        var slot = document.getElementById(id);
        return slot && slot.classList.contains("error") && slot.textContent.trim() !== "";
      });
      if (invalid) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    });
  }

  // Times: shown in the reader's own time zone; [data-relative] reads "in 6 days" with the exact
  // local time (and zone) on hover.
  var UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  var exact = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  var relative = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }) : null;
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (node) {
      var moment = new Date(node.getAttribute("datetime"));
      if (isNaN(moment.getTime())) return;
      var full = exact.format(moment);
      node.title = full;
      if (node.hasAttribute("data-relative") && relative) {
        var seconds = (moment.getTime() - Date.now()) / 1000;
        for (var i = 0; i < UNITS.length; i++) {
          if (Math.abs(seconds) >= UNITS[i][1] || i === UNITS.length - 1) {
            node.textContent = relative.format(Math.round(seconds / UNITS[i][1]), UNITS[i][0]);
            break;
          }
        }
      } else {
        node.textContent = full;
      }
    });
  }

  // The first error of a refused submit takes focus, so the reader hears what to fix.
  function focusSummary(root) {
    var summary = root.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }

  function enhance(root) {
    syncConfirm(root);
    syncInvalid(document);
    localTimes(root);
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); focusSummary(document); });
  document.addEventListener("htmx:afterSettle", function (event) { enhance(event.target); });
  document.addEventListener("htmx:oobAfterSwap", function () { syncInvalid(document); });
  document.addEventListener("htmx:sseMessage", function (event) { localTimes(event.target); });

  // A form is sent once: its submit buttons are disabled while the browser is on its way.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        b.disabled = true;
        b.setAttribute("aria-disabled", "true");
      });
    }, 0);
  });
  // Pages restored from the back/forward cache get their buttons back.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("button[aria-disabled=true]").forEach(function (b) { b.disabled = false; b.removeAttribute("aria-disabled"); });
    });
  });

  // The preview is busy while a new estimate is on its way.
  function busy(event, state) {
    var target = event.detail && event.detail.target;
    var panel = target && target.closest && target.closest("#preview");
    if (panel) panel.setAttribute("aria-busy", state ? "true" : "false");
  }
  document.addEventListener("htmx:beforeRequest", function (event) { busy(event, true); });

  // An aborted request is expected, not an error: a newer preview replaced it (hx-sync replace)
  // or the reader left the page. htmx reports every abort with console.error; keep its clean-up
  // but not that report, so the console shows real errors only.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!xhr || typeof xhr.onabort !== "function") return;
    var cleanUp = xhr.onabort;
    xhr.onabort = function () {
      var report = console.error;
      console.error = function () {};
      try { return cleanUp.apply(this, arguments); } finally { console.error = report; }
    };
  });
  document.addEventListener("htmx:afterRequest", function (event) { busy(event, false); });

  // Copy buttons: data-copy names the element whose text is copied.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    var label = button.textContent;
    navigator.clipboard.writeText(source.textContent).then(function () {
      button.textContent = "Copied";
      window.setTimeout(function () { button.textContent = label; }, 1500);
    }, function () {
      button.textContent = "Copy failed: select the text instead";
    });
  });
})();

// The bell: how many events arrived since the reader last opened it (remembered in this browser).
(function () {
  "use strict";
  var KEY = "nsaas-bell-seen";
  function seen() {
    try { return parseInt(window.localStorage.getItem(KEY) || "0", 10) || 0; } catch (e) { return 0; }
  }
  function update() {
    var bell = document.querySelector("[data-bell]");
    if (!bell) return;
    var last = seen();
    var fresh = bell.querySelectorAll("li[data-id]");
    var count = 0;
    fresh.forEach(function (item) { if (parseInt(item.getAttribute("data-id"), 10) > last) count += 1; });
    var badge = bell.querySelector("[data-unread]");
    if (badge) badge.textContent = count ? String(count) : "";
    if (badge && count) badge.setAttribute("aria-label", count + " new");
  }
  document.addEventListener("htmx:afterSettle", update);
  document.addEventListener("toggle", function (event) {
    var bell = event.target;
    if (!bell.matches || !bell.matches("[data-bell]") || !bell.open) return;
    var list = bell.querySelector("[data-newest]");
    if (list) {
      try { window.localStorage.setItem(KEY, list.getAttribute("data-newest")); } catch (e) { /* not remembered */ }
    }
    update();
  }, true);
})();
