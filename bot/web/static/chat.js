// Mounts the rasa-webchat widget (served from node_modules by our page server) with the settings the server
// put in a data attribute. No inline script: the Content-Security-Policy only allows our own files.
(function () {
  "use strict";
  var mount = document.getElementById("support-chat");
  var props;
  try {
    props = JSON.parse(mount.getAttribute("data-widget-props"));
  } catch (error) {
    console.error("chat settings are unreadable", error);
    return;
  }
  if (!window.WebChat || typeof window.WebChat.default !== "function") {
    console.error("the chat widget did not load");
    return;
  }
  window.WebChat.default(props, mount);

  var openButton = document.getElementById("open-chat");
  if (openButton) {
    openButton.addEventListener("click", function () {
      var launcher = document.querySelector("button.rw-launcher");
      var isOpen = document.querySelector(".rw-conversation-container");
      if (launcher && !isOpen) {
        launcher.click();
      }
      var input = document.querySelector(".rw-new-message");
      if (input) {
        input.focus();
      }
    });
  }
})();
