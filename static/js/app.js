/* Live refresh, relative times, copy buttons and error reporting for the dashboard.
 *
 * Live regions hold a "poller" element ([data-live-refresh]) with
 * hx-trigger="refresh". This script fires that event on a cadence: every
 * data-refresh-seconds while the tab is visible, every
 * data-hidden-refresh-seconds while it is hidden. The server stops a region's
 * refreshes by rendering it without a poller, so nothing here depends on
 * htmx's status-286 convention. The only htmx APIs used are htmx.trigger and a
 * few events, named once below, to keep a move to htmx 4 a small change.
 */
(function () {
  "use strict";

  var EVENTS = {
    beforeRequest: "htmx:beforeRequest",
    afterSwap: "htmx:afterSwap",
    afterRequest: "htmx:afterRequest",
    responseError: "htmx:responseError",
    sendError: "htmx:sendError"
  };
  var DEFAULT_VISIBLE = 5;
  var DEFAULT_HIDDEN = 60;
  var lastRefresh = Date.now();
  var timer = null;
  var paused = false;

  function pollers() {
    return document.querySelectorAll("[data-live-refresh]");
  }

  function intervalSeconds() {
    var first = pollers()[0];
    var attr = document.hidden ? "hiddenRefreshSeconds" : "refreshSeconds";
    var fallback = document.hidden ? DEFAULT_HIDDEN : DEFAULT_VISIBLE;
    var value = first ? parseFloat(first.dataset[attr]) : NaN;
    return value > 0 ? value : fallback;
  }

  function refreshNow() {
    lastRefresh = Date.now();
    if (paused) return;
    pollers().forEach(function (el) {
      if (window.htmx) {
        window.htmx.trigger(el, "refresh");
      }
    });
  }

  function schedule() {
    if (timer) {
      clearTimeout(timer);
    }
    var due = lastRefresh + intervalSeconds() * 1000;
    timer = setTimeout(function () {
      if (pollers().length) {
        refreshNow();
      } else {
        lastRefresh = Date.now();
      }
      schedule();
    }, Math.max(250, due - Date.now()));
  }

  document.addEventListener("visibilitychange", function () {
    // Back on a tab that was refreshing slowly: catch up at once.
    if (!document.hidden && Date.now() - lastRefresh >= intervalSeconds() * 1000) {
      refreshNow();
    }
    schedule();
  });

  /* Relative times: the server renders <time datetime data-relative> with a
   * fallback text; the text is kept fresh here so the server never has to
   * re-render a page only because "5 s ago" became "10 s ago". Same wording as
   * ui/templatetags/execution_tags.py. */
  function shortDuration(seconds) {
    seconds = Math.floor(Math.abs(seconds));
    if (seconds < 60) return seconds + " s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min";
    var hours = Math.floor(minutes / 60);
    if (hours < 24) return hours + " h";
    return Math.floor(hours / 24) + " d";
  }

  function relativeText(date) {
    var delta = (Date.now() - date.getTime()) / 1000;
    if (Math.abs(delta) < 2) return "just now";
    var text = shortDuration(delta);
    return delta > 0 ? text + " ago" : "in " + text;
  }

  function updateTimes(root) {
    (root || document).querySelectorAll("time[data-relative]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (!isNaN(date.getTime())) {
        // A time something is due at ("next poll") is never "ago": past it, it is due now.
        var due = el.getAttribute("data-relative") === "due" && date.getTime() - Date.now() < 2000;
        el.textContent = due ? "due now" : relativeText(date);
      }
    });
  }

  setInterval(function () {
    if (!document.hidden) updateTimes();
  }, 1000);

  /* A search box that narrows a long <select> (the time zones): options and groups that
   * do not match are hidden; the chosen one always stays. */
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-filter-select]")) return;
    var select = document.querySelector(box.getAttribute("data-filter-select"));
    if (!select) return;
    var words = box.value.toLowerCase().replace(/_/g, " ").split(/\s+/).filter(Boolean);
    var firstMatch = null;
    var chosenMatches = false;
    select.querySelectorAll("option").forEach(function (option) {
      var text = (option.value + " " + option.textContent).toLowerCase().replace(/_/g, " ");
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      option.hidden = !match;
      if (match && !firstMatch) firstMatch = option;
      if (match && option.selected) chosenMatches = true;
    });
    select.querySelectorAll("optgroup").forEach(function (group) {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
    // The first zone that matches becomes the choice, as in any search-as-you-type list.
    if (firstMatch && !chosenMatches) select.value = firstMatch.value;
  });

  /* Copy buttons: <button data-copy-target="#selector">. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var source = document.querySelector(button.dataset.copyTarget);
    if (!source) return;
    var text = source.textContent.trim();
    var done = function () {
      var original = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = original; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectText(source); });
    } else {
      selectText(source);
    }
  });

  function selectText(el) {
    // Without the clipboard API (plain http): select it so Ctrl+C does the rest.
    var range = document.createRange();
    range.selectNodeContents(el);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  /* Errors of htmx requests: htmx swaps nothing on them, so say so. */
  function showError(message) {
    var box = document.getElementById("app-error");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  }

  function clearError() {
    var box = document.getElementById("app-error");
    if (box && !box.hidden) {
      box.hidden = true;
      box.textContent = "";
    }
  }

  /* A request from inside [data-stops-refresh] (unwatching) pauses the refreshes
   * until it fails: once it succeeds the page is leaving, and a refresh racing
   * the redirect would only meet a 404. (The form's hx-sync queues it behind a
   * refresh already in flight; aborting that one instead would log errors.) */
  document.addEventListener(EVENTS.beforeRequest, function (event) {
    if (event.target.closest && event.target.closest("[data-stops-refresh]")) paused = true;
  });

  function resumeIfStopper(event) {
    // (Not on afterRequest: an HX-Redirect answer reaches it with no success flag set.)
    var elt = event.detail && event.detail.elt;
    if (elt && elt.closest && elt.closest("[data-stops-refresh]")) paused = false;
  }

  document.addEventListener(EVENTS.responseError, function (event) {
    resumeIfStopper(event);
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    var source = event.detail && event.detail.elt;
    if (status === 404 && source && source.hasAttribute && source.hasAttribute("data-live-refresh")) {
      // Gone (unwatched elsewhere): asking again every few seconds would not help.
      source.removeAttribute("data-live-refresh");
    }
    if (status === 403) {
      showError("The server refused the request (403): the page's security token may be stale. Reload the page.");
    } else if (status === 404) {
      showError("Not found (404): this execution may no longer be watched. Reload the page.");
    } else {
      showError("The server answered with an error (" + status + "). The page will keep retrying.");
    }
  });

  document.addEventListener(EVENTS.sendError, function (event) {
    resumeIfStopper(event);
    showError("Cannot reach the server. The page will keep retrying.");
  });

  document.addEventListener(EVENTS.afterRequest, function (event) {
    if (event.detail && event.detail.successful) clearError();
  });

  document.addEventListener(EVENTS.afterSwap, function (event) {
    updateTimes(event.target);
  });

  /* Offers that lapse ("Undo" after unwatching): <el data-expires-in="seconds">
   * is removed when its time is up. */
  function expireOffers(root) {
    (root || document).querySelectorAll("[data-expires-in]").forEach(function (el) {
      var seconds = parseFloat(el.dataset.expiresIn);
      el.removeAttribute("data-expires-in");
      setTimeout(function () {
        var hadFocus = el.contains(document.activeElement);
        el.remove();
        if (hadFocus) {
          var main = document.getElementById("main");
          if (main) main.focus();
        }
      }, (seconds > 0 ? seconds : 10) * 1000);
    });
  }

  /* A table wider than the screen scrolls inside its wrapper: the keyboard must be able to
   * reach it to scroll it, so a wrapper that scrolls takes a Tab stop (and one that does not,
   * none). Checked on load, after swaps and when the window is resized. */
  function scrollableWraps() {
    document.querySelectorAll(".table-wrap").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth) {
        el.setAttribute("tabindex", "0");
      } else if (el.getAttribute("tabindex") === "0") {
        el.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener(EVENTS.afterSwap, scrollableWraps);
  window.addEventListener("resize", scrollableWraps);

  // Read-only hooks for the browser tests (and a curious console).
  window.liveRefresh = { intervalSeconds: intervalSeconds, paused: function () { return paused; } };

  document.addEventListener(EVENTS.afterSwap, function (event) {
    expireOffers(event.target);
  });

  updateTimes();
  expireOffers();
  scrollableWraps();
  schedule();
})();
