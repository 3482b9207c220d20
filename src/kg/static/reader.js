// The annotated essay: clicking a highlight shows, beside the text, what the passage supports.
// Without this script each highlight is a plain link to its section at the end of the page.
(function () {
  "use strict";
  var panel = document.getElementById("span-panel");
  if (!panel) return;
  var body = panel.querySelector(".panel-body");
  var active = [];

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
    active = Array.prototype.slice.call(document.querySelectorAll("a.hl")).filter(function (a) {
      return (a.getAttribute("data-spans") || "").split(" ").indexOf(keys[0]) >= 0;
    });
    active.forEach(function (el) { el.classList.add("active"); });
    panel.hidden = false;
    if (history.replaceState) history.replaceState(null, "", "#t-" + keys[0]);
  }

  document.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("a.hl");
    if (!link) return;
    ev.preventDefault();
    show(link);
  });
  panel.querySelector(".close").addEventListener("click", function () { panel.hidden = true; });
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") panel.hidden = true; });
})();
