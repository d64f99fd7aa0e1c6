// Clientele's only script: htmx behaviour that attributes can't express.
// No inline script anywhere; the CSP forbids it.
(function () {
  "use strict";

  function notices() { return document.getElementById("notices"); }

  function showNotice(text, kind) {
    var box = notices();
    if (!box) { return; }
    var div = document.createElement("div");
    div.className = "notice notice-" + (kind || "error");
    div.setAttribute("role", "alert");
    div.textContent = text;
    box.replaceChildren(div);
    box.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("htmx:sendError", function () {
    showNotice("The server could not be reached. Check your connection and try again.");
  });

  // 4xx/5xx answers to htmx requests arrive retargeted at #notices by the server;
  // anything else that fails gets a plain message instead of silence.
  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Retarget")) { return; }
    showNotice("That didn't work (error " + (xhr ? xhr.status : "?") + "). Please try again.");
  });

  // The server sends HX-Trigger: {"notify": {"text": "...", "kind": "success"}}.
  document.body && document.body.addEventListener("notify", function (evt) {
    var d = evt.detail || {};
    showNotice(d.text || d.value || "", d.kind || "success");
  });

  // GET forms marked data-drop-empty leave empty fields out of the URL they push
  // (`?q=ada`, not `?q=ada&tag=&segment=...`).
  document.addEventListener("htmx:configRequest", function (evt) {
    var form = evt.detail.elt.closest && evt.detail.elt.closest("form[data-drop-empty]");
    if (!form || evt.detail.verb !== "get") { return; }
    var params = evt.detail.parameters;
    var names = params instanceof FormData ? Array.from(params.keys()) : Object.keys(params);
    names.forEach(function (name) {
      var value = params instanceof FormData ? params.get(name) : params[name];
      if (value === "" || value === null) {
        if (params instanceof FormData) { params.delete(name); } else { delete params[name]; }
      }
    });
  });

  // Let htmx swap error fragments the server deliberately retargeted.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
})();
