/*
 * Bootstrap for the gateway's self-hosted GraphiQL page.
 *
 * Kept in a static file (not inline in the HTML) so the page can be served
 * with `script-src 'self'`.  All configuration comes from data-* attributes
 * on the #graphiql element rendered by gateway/graphiql.py:
 *
 *   data-endpoint       URL the fetcher POSTs JSON to (same origin)
 *   data-default-query  initial query shown on first visit
 *
 * Nothing here (or in the files it relies on) contacts any other host.
 */
(function () {
  "use strict";

  var root = document.getElementById("graphiql");
  if (!root) {
    return;
  }

  // Layout via CSSOM (allowed under a strict style-src, unlike inline <style>).
  var html = document.documentElement;
  html.style.height = "100%";
  document.body.style.height = "100%";
  document.body.style.margin = "0";
  document.body.style.overflow = "hidden";
  root.style.height = "100vh";

  if (typeof window.React === "undefined" || typeof window.ReactDOM === "undefined" ||
      typeof window.GraphiQL === "undefined") {
    root.textContent = "GraphiQL failed to load (static files missing).";
    return;
  }

  var endpoint = root.getAttribute("data-endpoint") || "/graphql";
  var defaultQuery = root.getAttribute("data-default-query") || "";

  function fetcher(graphQLParams, opts) {
    var headers = {
      "Content-Type": "application/json",
      "Accept": "application/json"
    };
    var extra = (opts && opts.headers) || {};
    Object.keys(extra).forEach(function (name) {
      headers[name] = extra[name];
    });
    return fetch(endpoint, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(graphQLParams),
      credentials: "same-origin"
    }).then(function (response) {
      return response.text().then(function (text) {
        try {
          return JSON.parse(text);
        } catch (e) {
          return {
            errors: [{
              message: "HTTP " + response.status + ": response is not JSON",
              extensions: { body: text.slice(0, 2000) }
            }]
          };
        }
      });
    });
  }

  var element = window.React.createElement(window.GraphiQL, {
    fetcher: fetcher,
    defaultQuery: defaultQuery,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: "headers"
  });
  window.ReactDOM.createRoot(root).render(element);
})();
