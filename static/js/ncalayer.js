// Signing letters in the browser with NCALayer (the NCA RK program on the official's computer).
//
// For each letter: the server prepares the PDF and gives the digest of its signature
// (POST data-signing-url → {session, digest}); NCALayer's kz.gov.pki.knca.basics module signs the
// digest with the official's signing key (a detached CMS, the digest not hashed again); the page
// posts the CMS back (POST data-signing-url/session → the letter signed with its outgoing number,
// or 422 with why the signature was refused). The queue page does this for each chosen letter,
// one NCALayer call after another. NCALayer's address is the element's data-ncalayer-url.
(function () {
  "use strict";
  var SIGNING_EKU = "1.3.6.1.5.5.7.3.4"; // a signing key, never the authentication one
  var STORAGES = ["PKCS12", "AKKaztokenStore", "AKKZIDCardStore", "AKEToken72KStore",
    "AKEToken5110Store", "AKJaCartaStore", "AKAKEYStore"];
  var csrf = document.querySelector('meta[name="csrf-token"]');
  csrf = csrf ? csrf.getAttribute("content") : "";

  function NcaError(kind, reason) {
    this.kind = kind; // "no_ncalayer" | "cancelled" | "failed"
    this.reason = reason || "";
  }

  function connect(url) {
    return new Promise(function (resolve, reject) {
      var ws;
      try {
        ws = new WebSocket(url);
      } catch (e) {
        reject(new NcaError("no_ncalayer"));
        return;
      }
      ws.onopen = function () { resolve(ws); };
      ws.onerror = function () { reject(new NcaError("no_ncalayer")); };
      ws.onclose = function () { reject(new NcaError("no_ncalayer")); };
    });
  }

  // One request to NCALayer; its answer is the next message that has a "status" (NCALayer may
  // send other messages, such as its version, first).
  function call(ws, message) {
    return new Promise(function (resolve, reject) {
      ws.onmessage = function (event) {
        var response;
        try {
          response = JSON.parse(event.data);
        } catch (e) {
          return;
        }
        if (!response || typeof response.status === "undefined") { return; }
        ws.onmessage = null;
        ws.onclose = null;
        resolve(response);
      };
      ws.onclose = function () { reject(new NcaError("no_ncalayer")); };
      ws.send(JSON.stringify(message));
    });
  }

  function ncalayerSign(ws, digest, iin) {
    var locale = (document.documentElement.getAttribute("lang") || "ru").slice(0, 2);
    var message = {
      module: "kz.gov.pki.knca.basics",
      method: "sign",
      args: {
        allowedStorages: STORAGES,
        format: "cms",
        data: digest,
        signingParams: { decode: true, encapsulate: false, digested: true },
        signerParams: { extKeyUsageOids: [SIGNING_EKU], iin: iin },
        locale: locale
      }
    };
    return call(ws, message).then(function (response) {
      if (response.status !== true) {
        throw new NcaError("failed", response.message || response.details || response.code || "");
      }
      var result = response.body ? response.body.result : undefined;
      if (Array.isArray(result)) { result = result[0]; }
      if (result && typeof result === "object") { result = (result.signatures || [])[0]; }
      if (!result) { throw new NcaError("cancelled"); } // the official closed NCALayer's dialog
      return String(result).replace(/\s+/g, "");
    });
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { ok: r.ok, status: r.status, data: data };
      });
    });
  }

  // Sign one letter: → {ok, message, regNumber}. NCALayer's own failures are thrown (NcaError).
  function signLetter(ws, signingUrl, iin, onWaiting, onChecking) {
    return postJSON(signingUrl, {}).then(function (started) {
      if (!started.ok) { return { ok: false, message: started.data.message || String(started.status) }; }
      onWaiting();
      return ncalayerSign(ws, started.data.digest, iin).then(function (cms) {
        onChecking();
        return postJSON(signingUrl + "/" + encodeURIComponent(started.data.session), { cms: cms });
      }).then(function (done) {
        if (!done.ok) { return { ok: false, message: done.data.message || String(done.status) }; }
        return { ok: true, message: done.data.message, regNumber: done.data.reg_number };
      });
    });
  }

  function messages(status) {
    return function (name, values) {
      var text = status.getAttribute("data-msg-" + name) || name;
      Object.keys(values || {}).forEach(function (key) {
        text = text.split("{" + key + "}").join(values[key]);
      });
      return text;
    };
  }

  function ncaText(msg, err) {
    if (err instanceof NcaError) {
      if (err.kind === "failed") { return msg("failed", { reason: err.reason }); }
      return msg(err.kind === "cancelled" ? "cancelled" : "no-ncalayer");
    }
    return String(err && err.message ? err.message : err);
  }

  function show(status, text, result) {
    status.textContent = text;
    if (result) { status.setAttribute("data-result", result); } else { status.removeAttribute("data-result"); }
  }

  // The letter page: one letter.
  function setupLetter(box) {
    var button = box.querySelector("[data-ncalayer-button]");
    var status = box.querySelector("[data-ncalayer-status]");
    var msg = messages(status);
    button.addEventListener("click", function () {
      button.disabled = true;
      show(status, msg("connecting"));
      var socket = null;
      connect(box.getAttribute("data-ncalayer-url")).then(function (ws) {
        socket = ws;
        return signLetter(ws, box.getAttribute("data-signing-url"), box.getAttribute("data-signer-iin"),
          function () { show(status, msg("waiting")); }, function () { show(status, msg("checking")); });
      }).then(function (outcome) {
        show(status, outcome.message, outcome.ok ? "signed" : "refused");
        if (outcome.ok) {
          var state = document.getElementById("letter-state");
          if (state) { state.setAttribute("data-state", "signed"); }
          var link = document.createElement("a");
          link.href = box.getAttribute("data-done-url");
          link.textContent = " →";
          status.appendChild(link);
          button.remove();
        } else {
          button.disabled = false;
        }
      }).catch(function (err) {
        show(status, ncaText(msg, err), "refused");
        button.disabled = false;
      }).then(function () {
        if (socket) { socket.onclose = null; socket.close(); }
      });
    });
  }

  // The "To sign" queue: the chosen letters one after another, one NCALayer call each.
  function setupQueue(form) {
    var button = form.querySelector("[data-ncalayer-button]");
    var status = form.querySelector("[data-ncalayer-status]");
    if (!button || !status) { return; }
    var msg = messages(status);
    button.addEventListener("click", function () {
      var rows = Array.prototype.filter.call(form.querySelectorAll("tr[data-signing-url]"), function (row) {
        var box = row.querySelector("input[name=letters]");
        return box && box.checked && !box.disabled;
      });
      if (!rows.length) { show(status, msg("none"), "refused"); return; }
      button.disabled = true;
      show(status, msg("connecting"));
      var iin = form.getAttribute("data-signer-iin");
      var signed = 0;
      var socket = null;
      connect(form.getAttribute("data-ncalayer-url")).then(function (ws) {
        socket = ws;
        return rows.reduce(function (previous, row) {
          return previous.then(function () {
            var cell = row.querySelector("[data-queue-status]");
            cell.textContent = "…";
            return signLetter(ws, row.getAttribute("data-signing-url"), iin,
              function () { show(status, msg("waiting")); }, function () { show(status, msg("checking")); }
            ).catch(function (err) {
              if (err instanceof NcaError && err.kind === "no_ncalayer") { throw err; }
              return { ok: false, message: ncaText(msg, err) };
            }).then(function (outcome) {
              cell.textContent = outcome.message;
              row.setAttribute("data-result", outcome.ok ? "signed" : "refused");
              if (outcome.ok) {
                signed += 1;
                var box = row.querySelector("input[name=letters]");
                box.checked = false;
                box.disabled = true;
              }
            });
          });
        }, Promise.resolve());
      }).then(function () {
        show(status, msg("done", { signed: signed, total: rows.length }), signed === rows.length ? "signed" : "refused");
      }).catch(function (err) {
        show(status, ncaText(msg, err), "refused");
      }).then(function () {
        button.disabled = false;
        if (socket) { socket.onclose = null; socket.close(); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-ncalayer-sign]").forEach(setupLetter);
    document.querySelectorAll("[data-ncalayer-queue]").forEach(setupQueue);
  });
})();
