// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // GOV.UK: move focus to the error summary so screen readers announce it.
  function focusErrorSummary(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  }

  // Copy buttons: <button data-copy="#id-of-element-or-text">.
  function onCopy(event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var source = document.querySelector(button.getAttribute("data-copy"));
    var text = source ? (source.value || source.textContent).trim() : "";
    if (!navigator.clipboard) { return; }
    navigator.clipboard.writeText(text).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { focusErrorSummary(document); });
  document.addEventListener("click", onCopy);
  document.addEventListener("htmx:afterSwap", function (event) { focusErrorSummary(event.target); });
})();
