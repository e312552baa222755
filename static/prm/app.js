/* The app's few behaviours, bound by data attributes (no inline script: the CSP forbids it).
   - <details data-fold-below="640" data-keep-open-if=".badge">: starts folded on narrow screens
     (unless it contains a match of data-keep-open-if, e.g. filters in use).
   - <input type="checkbox" data-check-all="CSS selector">: ticks or unticks every match.
   - <button data-copy="element id" hidden>: copies that element's text, where the clipboard works.
   - <input list="datalist id" data-suggest="URL">: as one types, fills the datalist with the names
     the URL returns for ?q=… ({"partners": [...]}); without JavaScript the typed name is sent. */
(function () {
  "use strict";

  function foldNarrow() {
    document.querySelectorAll("details[data-fold-below]").forEach(function (panel) {
      var width = parseInt(panel.dataset.foldBelow, 10);
      var keep = panel.dataset.keepOpenIf;
      if (window.matchMedia("(max-width: " + width + "px)").matches && !(keep && panel.querySelector(keep))) {
        panel.open = false;
      }
    });
  }

  function checkAll() {
    document.querySelectorAll("input[data-check-all]").forEach(function (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll(all.dataset.checkAll).forEach(function (box) { box.checked = all.checked; });
      });
    });
  }

  function copyButtons() {
    if (!navigator.clipboard) return;
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = document.getElementById(button.dataset.copy).textContent.trim();
        navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; });
      });
    });
  }

  function suggestions() {
    document.querySelectorAll("input[data-suggest][list]").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("list"));
      var timer = null;
      var asked = "";
      if (!list || !window.fetch) return;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var typed = input.value.trim();
          if (typed.length < 2 || typed === asked) return;
          asked = typed;
          var url = input.dataset.suggest + "?q=" + encodeURIComponent(typed);
          fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
            .then(function (response) { return response.ok ? response.json() : { partners: [] }; })
            .then(function (data) {
              if (asked !== typed) return; // a later keystroke asked again
              list.replaceChildren.apply(list, (data.partners || []).map(function (name) {
                var option = document.createElement("option");
                option.value = name;
                return option;
              }));
            })
            .catch(function () {});
        }, 150);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    suggestions();
    foldNarrow();
    checkAll();
    copyButtons();
  });
})();
