// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Step 1: fill the School list as soon as an Authority is chosen.
  var authority = document.getElementById("authority");
  var school = document.getElementById("school");
  var choose = document.getElementById("choose-authority");
  if (authority && school) {
    if (choose) { choose.classList.add("js-hidden"); }
    var lastLoaded = null;
    var load = function () {
      var value = authority.value.trim();
      if (value === lastLoaded) { return; }
      lastLoaded = value;
      var url = authority.getAttribute("data-schools-url") + "?authority=" + encodeURIComponent(value);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (schools) {
          var current = school.value;
          while (school.options.length) { school.remove(0); }
          var first = document.createElement("option");
          first.value = "";
          first.textContent = schools.length ? "Choose a school" : "All schools";
          school.appendChild(first);
          schools.forEach(function (item) {
            var option = document.createElement("option");
            option.value = item.code;
            option.textContent = item.name + " (" + item.code + ")";
            if (item.code === current) { option.selected = true; }
            school.appendChild(option);
          });
          school.disabled = schools.length === 0;
          var hint = document.getElementById("school-hint");
          if (hint) {
            hint.textContent = schools.length ? "This field is required."
              : "Choose an Authority first. With no Authority, every school is searched.";
          }
        })
        .catch(function () { lastLoaded = null; });
    };
    authority.addEventListener("change", load);
    authority.addEventListener("input", function () {
      if (/\([SsAa]\.\d{1,4}\)\s*$/.test(authority.value) || authority.value.trim() === "") { load(); }
    });
  }

  // Credential Type: "Select All" selects and deselects every type.
  var all = document.getElementById("credential-type-all");
  if (all) {
    var boxes = Array.prototype.slice.call(document.querySelectorAll("input[data-credential-type]"));
    all.addEventListener("change", function () { boxes.forEach(function (box) { box.checked = all.checked; }); });
    boxes.forEach(function (box) {
      box.addEventListener("change", function () { all.checked = boxes.every(function (b) { return b.checked; }); });
    });
  }

  // Confirmation: one click of Continue sends one request (the server ignores a second anyway).
  var confirmForm = document.getElementById("confirm-form");
  if (confirmForm) {
    confirmForm.addEventListener("submit", function () {
      var button = document.getElementById("continue");
      if (button) { window.setTimeout(function () { button.disabled = true; button.textContent = "Starting…"; }, 0); }
    });
  }

  // Processing: live progress, then the summary.
  var processing = document.getElementById("processing");
  if (processing) {
    var url = processing.getAttribute("data-progress-url");
    var bar = document.getElementById("progress-bar");
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (state) {
          ["processed", "selected", "awarded", "ordered", "not_awarded"].forEach(function (name) {
            var field = processing.querySelector("[data-field=" + name + "]");
            if (field) { field.textContent = state[name]; }
          });
          if (bar) { bar.max = state.selected || 1; bar.value = state.processed; }
          if (state.finished) { window.location.reload(); } else { window.setTimeout(poll, 1500); }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1000);
  }
})();
