// The annotated essay: clicking a highlight shows, beside the text, who says it, the author's stance
// and what supports or counters it; the controls switch what is highlighted at once.
// Without this script each highlight is a plain link to its section at the end of the page, and
// the controls are a form the server answers (/essay?mode=...&show=...).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var panel = document.getElementById("span-panel");
  var essay = document.getElementById("essay");
  if (!panel || !essay) return;
  var body = panel.querySelector(".panel-body");
  var active = [];
  var lastLink = null;

  function show(link) {
    var keys = (link.getAttribute("data-spans") || "").split(" ").filter(Boolean);
    body.textContent = "";
    keys.forEach(function (key) {
      var section = document.getElementById(key);
      if (!section) return;
      var copy = section.cloneNode(true);
      copy.removeAttribute("id");
      copy.className = "span panel-span";
      body.appendChild(copy);
    });
    active.forEach(function (el) { el.classList.remove("active"); });
    active = Array.prototype.slice.call(essay.querySelectorAll("a.hl")).filter(function (a) {
      return (a.getAttribute("data-spans") || "").split(" ").indexOf(keys[0]) >= 0;
    });
    active.forEach(function (el) { el.classList.add("active"); });
    panel.hidden = false;
    lastLink = link;
    if (history.replaceState) history.replaceState(null, "", location.search + "#t-" + keys[0]);
  }

  function close() {
    panel.hidden = true;
    if (lastLink) lastLink.focus();
  }

  essay.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("a.hl");
    if (!link) return;
    ev.preventDefault();
    show(link);
  });
  panel.querySelector(".close").addEventListener("click", close);
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape" && !panel.hidden) close(); });

  // --- what to highlight: a mode (who says what | kinds) and one class show-KEY per ticked box
  var form = document.getElementById("reader-controls");
  if (!form) return;
  function apply() {
    var mode = form.querySelector("input[name=mode]:checked").value;
    var params = new URLSearchParams();
    params.set("mode", mode);
    params.set("set", "1");
    essay.className = essay.className.split(" ").filter(function (c) {
      return c && c.indexOf("show-") !== 0 && c.indexOf("mode-") !== 0;
    }).concat(["mode-" + mode]).join(" ");
    form.querySelectorAll("fieldset.legend").forEach(function (fs) {
      var on = fs.getAttribute("data-mode") === mode;
      fs.hidden = !on;
      fs.querySelectorAll("input").forEach(function (box) {
        box.disabled = !on;
        if (on && box.checked) {
          essay.classList.add("show-" + box.value);
          params.append("show", box.value);
        }
      });
    });
    if (history.replaceState) history.replaceState(null, "", "?" + params.toString() + location.hash);
  }
  form.addEventListener("change", function (ev) {
    if (ev.target.name === "mode") {   // a mode shown for the first time starts with its defaults
      var fs = form.querySelector("fieldset.legend[data-mode='" + ev.target.value + "']");
      if (fs && !fs.querySelector("input:checked")) {
        fs.querySelectorAll("input").forEach(function (box) { box.checked = box.value !== "author"; });
      }
    }
    apply();
  });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); apply(); });
})();
