// The query UI: YASGUI on our endpoint, one tab, the competency queries in a menu above it; the
// results table in its simple view (values without datatype tags); result IRIs link to our pages.
(function () {
  "use strict";
  var el = document.getElementById("yasgui");
  if (!el || !window.Yasgui) return;
  var endpoint = new URL(el.getAttribute("data-endpoint"), location.href).href;
  var tabs = JSON.parse(document.getElementById("tabs").textContent);
  var base = "https://w3id.org/deepseek-kg/";
  var simple = { selectedPlugin: "table", pluginsConfig: { table: { compact: true } } };
  var yasgui = new Yasgui(el, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    autoAddOnInit: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { autocompleters: ["prefixes", "variables"] },
    yasr: { settings: simple }
  });
  function byslug(slug) {
    return tabs.filter(function (t) { return t.slug === slug; })[0] || tabs[0];
  }
  var first = byslug(el.getAttribute("data-chosen"));
  var tab = yasgui.addTab(true, { name: first ? first.name : "Query", yasqe: { value: first ? first.query : "" },
    requestConfig: { endpoint: endpoint }, yasr: { settings: simple } });
  window.kgYasgui = yasgui;

  var menu = document.getElementById("q-menu");
  if (menu) {
    menu.addEventListener("change", function () {
      var t = byslug(menu.value);
      var current = yasgui.getTab();
      current.getYasqe().setValue(t.query);
      current.setName(t.name);
      if (history.replaceState) history.replaceState(null, "", "?example=" + encodeURIComponent(t.slug));
    });
  }

  function local(href) {
    if (href.indexOf(base + "id/") === 0) return "/page/" + href.slice(base.length + 3);
    if (href.indexOf(base + "ontology#") === 0) return "/ontology#" + href.slice(base.length + 9);
    return null;
  }
  // the pages' safe-link rule (pages/base.py safe_link) for the links YASGUI draws in results:
  // only http, https, mailto and urn IRIs stay links; a javascript: or data: IRI becomes text
  var SAFE = /^(https?|mailto|urn):/i;
  new MutationObserver(function () {
    el.querySelectorAll("a[href]").forEach(function (a) {
      var h = a.getAttribute("href");
      if (h.charAt(0) !== "#" && h.charAt(0) !== "/" && h.charAt(0) !== "?" && !SAFE.test(h)) {
        a.removeAttribute("href"); a.classList.add("unlinked"); return;
      }
      var to = h.indexOf(base) === 0 ? local(h) : null;
      if (to) { a.setAttribute("href", to); a.removeAttribute("target"); }
    });
  }).observe(el, { childList: true, subtree: true });
})();
