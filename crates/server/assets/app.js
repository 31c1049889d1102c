// HealthGuard web page: small comforts on top of a page that works without JavaScript.
// - The SMS sender field shows only when "SMS" is chosen.
// - The .eml file field shows only when "E-mail" is chosen.
// - A "Copy" button next to the report key.
// Served as a file: the Content-Security-Policy allows no inline script.
"use strict";
(function () {
  function onReady(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  onReady(function () {
    var form = document.getElementById("check-form");
    if (form) {
      var senderField = document.getElementById("sender-field");
      var fileField = document.getElementById("eml-field");
      var radios = form.querySelectorAll("input[name=kind]");
      var sync = function () {
        var sms = document.getElementById("kind-sms");
        var email = document.getElementById("kind-email");
        if (senderField && sms) {
          senderField.classList.toggle("is-hidden", !sms.checked);
        }
        if (fileField && email) {
          fileField.classList.toggle("is-hidden", !email.checked);
        }
      };
      for (var i = 0; i < radios.length; i++) {
        radios[i].addEventListener("change", sync);
      }
      sync();
    }

    var token = document.getElementById("report-token");
    if (token && navigator.clipboard) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button copy";
      button.textContent = token.getAttribute("data-copy-label") || "Copy";
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(token.textContent.trim()).then(function () {
          button.textContent = token.getAttribute("data-copied-label") || "Copied";
        });
      });
      token.parentNode.appendChild(button);
    }
  });
})();
