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
 * Header values: fetch() refuses characters beyond ISO-8859-1, so an official
 * letter number such as 环发改函〔2026〕12号 in X-Query-Basis could not be sent.
 * The fetcher percent-encodes the UTF-8 of every header value that is not
 * printable ASCII (encodeURIComponent); the gateway decodes it
 * (gateway/requests.py).  Printable ASCII values are sent as typed.
 *
 * Nothing here (or in the files it relies on) contacts any other host.
 * Under Node (tests) the file only exports its fetcher: `require("./init.js")`.
 */
(function () {
  "use strict";

  var PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

  /* A header value as it can travel: printable ASCII as is, anything else percent-encoded UTF-8. */
  function encodeHeaderValue(value) {
    var text = String(value);
    return PRINTABLE_ASCII.test(text) ? text : encodeURIComponent(text);
  }

  /* GraphiQL's fetcher: POST JSON to `endpoint` with the Headers tab's headers, encoded. */
  function makeFetcher(endpoint, fetchImpl) {
    return function fetcher(graphQLParams, opts) {
      var headers = {
        "Content-Type": "application/json",
        "Accept": "application/json"
      };
      var extra = (opts && opts.headers) || {};
      Object.keys(extra).forEach(function (name) {
        headers[name] = encodeHeaderValue(extra[name]);
      });
      return fetchImpl(endpoint, {
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
    };
  }

  if (typeof module === "object" && module.exports) {
    module.exports = { encodeHeaderValue: encodeHeaderValue, makeFetcher: makeFetcher };
    return;
  }

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

  var element = window.React.createElement(window.GraphiQL, {
    fetcher: makeFetcher(endpoint, window.fetch.bind(window)),
    defaultQuery: defaultQuery,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: "headers"
  });
  window.ReactDOM.createRoot(root).render(element);
})();
