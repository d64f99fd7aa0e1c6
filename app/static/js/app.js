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

  // Dialogs arrive with `open` so they show without JavaScript; with it, they become modal:
  // focus stays inside, Escape closes them, and focus returns to what opened them.
  function makeModal(root) {
    if (!root.querySelectorAll) { return; }
    var dialogs = Array.prototype.slice.call(root.querySelectorAll("dialog[open]"));
    if (root.matches("dialog[open]")) { dialogs.push(root); }
    dialogs.forEach(function (dialog) {
      if (dialog.matches(":modal")) { return; }
      dialog.close();
      dialog.showModal();
      dialog.addEventListener("close", function () {
        if (dialog.open) { return; }  // the close() just above, reported late
        var holder = dialog.parentElement;
        dialog.remove();
        if (holder && holder.id === "email-dialog") { holder.replaceChildren(); }
      });
    });
  }
  document.addEventListener("htmx:load", function (evt) { makeModal(evt.detail.elt); });

  document.addEventListener("click", function (evt) {
    var closer = evt.target.closest && evt.target.closest("dialog [data-close-dialog]");
    if (closer) {
      evt.preventDefault();
      closer.closest("dialog").close();
    }
  });

  // Popups (the email history) open on hover and on focus; Escape hides them (WCAG 1.4.13)
  // until the pointer or the focus comes back.
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape") { return; }
    document.querySelectorAll(".hovercard-anchor:hover, .hovercard-anchor:focus-within")
      .forEach(function (anchor) { anchor.classList.add("dismissed"); });
  });
  function undismiss(evt) {
    var anchor = evt.target.closest && evt.target.closest(".hovercard-anchor");
    if (anchor) { anchor.classList.remove("dismissed"); }
  }
  document.addEventListener("focusout", undismiss);
  document.addEventListener("mouseover", function (evt) {
    var anchor = evt.target.closest && evt.target.closest(".hovercard-anchor.dismissed");
    if (anchor && !anchor.contains(evt.relatedTarget)) { anchor.classList.remove("dismissed"); }
  });

  // Let htmx swap error fragments the server deliberately retargeted.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  // Uploads marked data-upload-progress show their progress bar while the file is sent.
  function uploadProgress(evt) {
    var form = evt.detail.elt && evt.detail.elt.closest && evt.detail.elt.closest("form[data-upload-progress]");
    return form ? form.querySelector("progress") : null;
  }
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var bar = uploadProgress(evt);
    if (bar) { bar.value = 0; bar.hidden = false; }
  });
  document.addEventListener("htmx:xhr:progress", function (evt) {
    var bar = uploadProgress(evt);
    if (bar && evt.detail.lengthComputable) { bar.value = evt.detail.loaded / evt.detail.total * 100; }
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var bar = uploadProgress(evt);
    if (bar) { bar.hidden = true; }
  });
})();
