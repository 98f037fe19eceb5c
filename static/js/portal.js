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
    // A status line beside the button (templates/idp_selfservice/_copy_value.html) says
    // it to screen readers too: the button's own aria-label does not change.
    var status = button.closest(".copy-field");
    status = status ? status.querySelector("[data-copy-status]") : null;
    function say(words) {
      if (status) { status.textContent = words; }
    }
    function selectInstead() {
      // No clipboard (a page not served over https, or permission refused): select the
      // value, so that Ctrl+C or Cmd+C copies it.
      if (!source) { return; }
      var range = document.createRange();
      range.selectNodeContents(source);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      say("Selected: press Ctrl+C (Cmd+C on a Mac) to copy it.");
    }
    if (!navigator.clipboard) { selectInstead(); return; }
    navigator.clipboard.writeText(text).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      say("Copied to the clipboard.");
      setTimeout(function () { button.textContent = label; say(""); }, 1500);
    }, selectInstead);
  }

  // SSO step 5 (templates/idp_selfservice/test.html): the test sign-in opens in a new tab,
  // so this tab starts polling for its outcome (the server bounds the wait).
  function onTestStart(event) {
    var form = event.target.closest("[data-await-test]");
    var latest = document.getElementById("test-latest");
    if (!form || !latest || !window.htmx) { return; }
    latest.setAttribute("hx-get", form.getAttribute("data-await-test"));
    latest.setAttribute("hx-trigger", "every 2s");
    latest.setAttribute("hx-swap", "outerHTML");
    window.htmx.process(latest);
  }

  document.addEventListener("DOMContentLoaded", function () { focusErrorSummary(document); });
  document.addEventListener("click", onCopy);
  document.addEventListener("submit", onTestStart);
  document.addEventListener("htmx:afterSwap", function (event) { focusErrorSummary(event.target); });
})();

// Create / edit organization (templates/orgs/organization_form.html): the short name
// suggested from the display name until the person edits it, colour pickers beside the
// colour fields, and the branding preview updated as you type. The server renders and
// checks all of it too (orgs.forms.organizations, orgs.views.org_forms).
(function () {
  "use strict";

  var HEX = /^#[0-9a-f]{6}$/i;

  // Mirrors orgs.forms.organizations.suggest_organization_name.
  function suggestName(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9_]+/g, "-").replace(/^[-_]+/, "").slice(0, 50).replace(/[-_]+$/, "");
  }

  function followDisplayName(slug) {
    var source = document.getElementById(slug.getAttribute("data-suggest-from"));
    if (!source) { return; }
    var suggested = slug.value && slug.value === suggestName(source.value) ? slug.value : "";
    source.addEventListener("input", function () {
      if (slug.value && slug.value !== suggested) { return; }  // the person chose their own
      suggested = suggestName(source.value);
      slug.value = suggested;
      slug.dispatchEvent(new Event("input", { bubbles: true }));  // the availability check
    });
  }

  // Mirrors orgs.views.org_forms.readable_text_on.
  function readableTextOn(hex) {
    var lin = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2] > 0.179 ? "#111111" : "#ffffff";
  }

  function updatePreview(form) {
    var preview = form.querySelector("[data-branding-preview]");
    if (!preview) { return; }
    var colour = function (kind, fallback) {
      var input = form.querySelector('[data-colour="' + kind + '"]');
      var value = input ? input.value.trim() : "";
      return HEX.test(value) ? value : fallback;
    };
    var primary = colour("primary", preview.getAttribute("data-default-primary"));
    var button = preview.querySelector("[data-preview-button]");
    button.style.backgroundColor = primary;
    button.style.color = readableTextOn(primary);
    preview.querySelector("[data-preview-page]").style.backgroundColor =
      colour("background", preview.getAttribute("data-default-background"));
    var name = form.querySelector('[data-preview="name"]');
    preview.querySelector("[data-preview-name]").textContent =
      (name && name.value.trim()) || "Your organization";
    var logo = form.querySelector('[data-preview="logo"]');
    var img = preview.querySelector("[data-preview-logo]");
    var url = logo ? logo.value.trim() : "";
    if (/^https:\/\/\S+$/.test(url)) { img.src = url; img.hidden = false; } else { img.hidden = true; }
  }

  function addColourPicker(input, form) {
    var picker = document.createElement("input");
    picker.type = "color";
    picker.value = HEX.test(input.value) ? input.value.toLowerCase() : "#ffffff";
    var label = form.querySelector('label[for="' + input.id + '"]');
    // Not "Primary colour …": the text field keeps that label to itself.
    var what = label ? label.textContent.replace(/\s*colour.*$/i, "").trim() : "Colour";
    picker.setAttribute("aria-label", what + ", colour picker");
    var wrap = document.createElement("div");
    wrap.className = "colour-input";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    wrap.appendChild(picker);
    picker.addEventListener("input", function () { input.value = picker.value; updatePreview(form); });
    input.addEventListener("input", function () {
      if (HEX.test(input.value.trim())) { picker.value = input.value.trim().toLowerCase(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-org-form]");
    if (!form) { return; }
    form.querySelectorAll("[data-suggest-from]").forEach(followDisplayName);
    form.querySelectorAll("[data-colour]").forEach(function (input) { addColourPicker(input, form); });
    form.addEventListener("input", function () { updatePreview(form); });
  });
})();
