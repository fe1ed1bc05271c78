// The public status page: the slip's QR code gives the code in the URL fragment (#code=…),
// which browsers never send to the server. Move it into the form, take it out of the address
// bar and the history, and look the status up at once when the number is there too.
(function () {
  "use strict";
  function start() {
    var form = document.getElementById("status-form");
    var match = /(?:^#|&)code=([^&]*)/.exec(window.location.hash || "");
    if (!match) {
      return;
    }
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    if (!form) {
      return;
    }
    var code = form.querySelector("input[name=code]");
    var number = form.querySelector("input[name=number]");
    code.value = decodeURIComponent(match[1]).slice(0, 32);
    if (number.value && code.value) {
      form.submit();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
