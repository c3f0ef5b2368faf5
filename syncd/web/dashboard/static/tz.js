// Progressive enhancement: tell the server the viewer's time zone (a `tz` cookie), so times are shown in it.
// Without script, times are shown in UTC; every time on the page names its zone either way.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone || /[^A-Za-z0-9_+\-\/]/.test(zone)) {
    return;
  }
  var current = document.cookie.split("; ").filter(function (c) { return c.indexOf("tz=") === 0; })[0];
  if (current !== "tz=" + zone) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    if (current === undefined && document.querySelector(".zone") && document.querySelector(".zone").textContent !== zone) {
      window.location.reload();
    }
  }
})();
