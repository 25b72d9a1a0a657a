// Progressive enhancement only: every page works without this file.
"use strict";

(function () {
  // Buttons that ask before acting (delete): data-confirm="question".
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // A double-click must not post twice: the first press disables the publish button (the server also refuses
  // a second story with the same submission key).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    if (submitter && submitter.hasAttribute("data-submit-once")) {
      if (form.dataset.submitted === "1") { event.preventDefault(); return; }
      form.dataset.submitted = "1";
      // Disable after this tick so the button's own name/value is still sent.
      window.setTimeout(function () { submitter.disabled = true; }, 0);
    }
  });

  // Drafts: a form with data-draft-key is saved to localStorage as the writer types, per user and form, and
  // offered back after a reload, a crash or a lost session. The story page clears it once the story is saved.
  var DRAFT_PREFIX = "stepstories:draft:";
  var SAVE_DELAY_MS = 600;

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function draftKey(user, key) { return DRAFT_PREFIX + user + ":" + key; }

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && el.name !== "submission_key" &&
        ["submit", "button", "hidden", "file", "password"].indexOf(el.type) === -1;
    });
  }

  function snapshot(form) {
    var values = {};
    fieldsOf(form).forEach(function (el) {
      values[el.name] = el.type === "checkbox" ? el.checked : el.value;
    });
    return values;
  }

  function hasText(values) {
    return Object.keys(values).some(function (name) {
      return typeof values[name] === "string" && values[name].trim() !== "" &&
        ["attempt", "step", "outcome", "background"].indexOf(name) === -1 && !/rating$/.test(name);
    });
  }

  function restore(form, values) {
    fieldsOf(form).forEach(function (el) {
      if (!(el.name in values)) { return; }
      if (el.type === "checkbox") { el.checked = !!values[el.name]; } else { el.value = values[el.name]; }
    });
  }

  function setupDraft(form) {
    var store = storage();
    if (!store) { return; }
    var key = draftKey(form.dataset.draftUser, form.dataset.draftKey);
    var status = form.querySelector(".draft-status");
    var timer = null;

    function say(text) {
      if (!status) { return; }
      status.hidden = false;
      status.textContent = text;
    }

    function save() {
      var values = snapshot(form);
      if (!hasText(values)) { return; }
      try {
        store.setItem(key, JSON.stringify({ savedAt: new Date().toISOString(), values: values }));
        say("Draft saved in this browser.");
      } catch (e) { /* storage full or blocked: nothing to do */ }
    }

    var saved = null;
    try { saved = JSON.parse(store.getItem(key) || "null"); } catch (e) { saved = null; }
    // Offer the draft only when the page came back empty (a fresh form), never over text the server returned.
    if (saved && saved.values && !hasText(snapshot(form))) {
      var when = new Date(saved.savedAt);
      var offer = document.createElement("div");
      offer.className = "draft-offer";
      offer.setAttribute("role", "region");
      offer.setAttribute("aria-label", "Unsent draft");
      var text = document.createElement("p");
      text.textContent = "You have an unsent draft from " + when.toLocaleString() + ".";
      var use = document.createElement("button");
      use.type = "button";
      use.className = "button";
      use.textContent = "Restore draft";
      var drop = document.createElement("button");
      drop.type = "button";
      drop.className = "button button-secondary";
      drop.textContent = "Discard it";
      offer.appendChild(text);
      offer.appendChild(use);
      offer.appendChild(drop);
      form.insertBefore(offer, form.firstChild);
      use.addEventListener("click", function () {
        restore(form, saved.values);
        offer.remove();
        say("Draft restored.");
      });
      drop.addEventListener("click", function () {
        store.removeItem(key);
        offer.remove();
      });
    }

    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, SAVE_DELAY_MS);
    });
    form.addEventListener("change", save);
    form.addEventListener("submit", save);
  }

  document.querySelectorAll("form[data-draft-key]").forEach(setupDraft);

  // Votes without a page load: the same form, sent with fetch; the CSRF token travels in a header.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-vote") || !window.fetch) { return; }
    event.preventDefault();
    var button = form.querySelector("button");
    var value = form.querySelector("input[name=value]");
    var body = new URLSearchParams(new FormData(form));
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": form.querySelector("input[name=csrf_token]").value }
    }).then(function (response) {
      if (response.status === 401) { window.location.href = "/auth/login"; return null; }
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (!result) { return; }
      if (!result.ok) { window.alert(result.data.error || "That did not work; try again."); return; }
      form.querySelector(".vote-count").textContent = result.data.votes;
      button.setAttribute("aria-pressed", result.data.voted ? "true" : "false");
      value.value = result.data.voted ? "0" : "1";
    }).catch(function () {
      form.submit();  // fall back to the plain form post
    }).finally(function () { button.disabled = false; });
  });

  // After a successful publish the story page names the draft to drop.
  var done = document.querySelector("[data-clear-draft]");
  if (done && storage()) {
    var name = done.getAttribute("data-clear-draft");
    storage().removeItem(draftKey(done.getAttribute("data-draft-user"), name === "new" ? "story-new" : name));
  }
})();
