// The query UI: YASGUI on our endpoint, one tab per competency query; result IRIs link to our pages.
(function () {
  "use strict";
  var el = document.getElementById("yasgui");
  if (!el || !window.Yasgui) return;
  var endpoint = new URL(el.getAttribute("data-endpoint"), location.href).href;
  var tabs = JSON.parse(document.getElementById("tabs").textContent);
  var base = "https://w3id.org/deepseek-kg/";
  var yasgui = new Yasgui(el, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    autoAddOnInit: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { autocompleters: ["prefixes", "variables"] }
  });
  var first = null;
  tabs.forEach(function (t) {
    var tab = yasgui.addTab(first === null, { name: t.name, yasqe: { value: t.query }, requestConfig: { endpoint: endpoint } });
    if (first === null) first = tab;
  });
  if (!tabs.length) yasgui.addTab(true, { requestConfig: { endpoint: endpoint } });
  window.kgYasgui = yasgui;

  function local(href) {
    if (href.indexOf(base + "id/") === 0) return "/page/" + href.slice(base.length + 3);
    if (href.indexOf(base + "ontology#") === 0) return "/ontology#" + href.slice(base.length + 9);
    return null;
  }
  new MutationObserver(function () {
    el.querySelectorAll("a[href^='" + base + "']").forEach(function (a) {
      var to = local(a.getAttribute("href"));
      if (to) { a.setAttribute("href", to); a.removeAttribute("target"); }
    });
  }).observe(el, { childList: true, subtree: true });
})();
