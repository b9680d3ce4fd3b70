// nsaas UI behaviour that htmx does not cover. Loaded from this origin only (CSP: no inline script).
(function () {
  "use strict";

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
  document.addEventListener("DOMContentLoaded", function () { syncConfirm(document); });
  document.addEventListener("htmx:afterSettle", function (event) { syncConfirm(event.target); });
})();
