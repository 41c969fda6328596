/*! Cuecard loader: contextual help at the point of work. https://github.com/cuecard/cuecard */
// The only file a page includes. It defines one global, `Cuecard` (a command queue until the
// widget runs), adds one host element with an open shadow root, and imports the wasm widget
// lazily: at idle time, or at once when the page asks for it. Nothing here may throw into the
// host page; after any failure the widget removes itself quietly.
// `cargo xtask widget` replaces the two __CUECARD_*__ names with the content-hashed files.
(function () {
  "use strict";
  var w = window, d = document, prior = w.Cuecard;
  // Included again (a second tag, or a tag added back after a shutdown): the first copy runs,
  // and brings the widget back if the page had shut it down.
  if (prior && prior.loaded) return prior("boot");
  var script = d.currentScript;
  if (!script || !script.src || !("attachShadow" in Element.prototype)) return;

  var queue = (prior && prior.q) || [];
  // waiting | loading | ready | stopped (the page shut it down; any call restarts it) | off (failed)
  var widget = null, glue = null, watching = false, state = "waiting";
  var base = new URL(".", script.src).href;
  var config = {
    site: script.getAttribute("data-site"),
    api: script.getAttribute("data-api") || new URL(script.src).origin,
    locale: script.getAttribute("data-locale") || undefined,
    hotspots: script.getAttribute("data-hotspots"),
  };
  var host = null;
  // Page handlers for `Cuecard('on', name, handler)`; the widget reports through `emit`.
  var handlers = { open: [], close: [], feedback: [] };
  config.emit = function (name, detail) {
    (handlers[name] || []).forEach(function (handler) {
      try { handler(detail); } catch (error) { if (w.console) w.console.error(error); }
    });
  };

  // Removes the widget from the page; `next` is the state after.
  function stop(next) {
    state = next;
    queue.length = 0;
    try { if (widget) widget.shutdown(); } catch (_) { /* already broken */ }
    try { if (host) host.remove(); } catch (_) { /* nothing left to do */ }
    widget = host = null;
  }

  // A failure: the widget stays off on this page.
  function off(error) {
    stop("off");
    if (error && w.console) w.console.warn("Cuecard: help is disabled on this page.", error);
  }

  function run(args) {
    try { widget.command(String(args[0]), args[1]); } catch (error) { off(error); }
  }

  function Cuecard() {
    if (state === "off") return;
    var name = arguments[0], list = handlers[arguments[1]];
    if (name === "on" || name === "off") {
      var at = list ? list.indexOf(arguments[2]) : -1;
      if (name === "on" && list && typeof arguments[2] === "function") list.push(arguments[2]);
      if (name === "off" && at >= 0) list.splice(at, 1);
      return;
    }
    if (name === "shutdown") return stop("stopped");
    // After a shutdown (React's StrictMode cleans an effect up and runs it again), any call
    // brings the widget back.
    if (state === "stopped") {
      state = "waiting";
      start();
    }
    if (name === "boot") return;
    if (state === "ready") return run(arguments);
    queue.push(arguments);
    if (name === "open" || name === "toggle" || name === "show") load();
  }
  Cuecard.loaded = true;
  Cuecard.q = queue;
  w.Cuecard = Cuecard;
  // Handlers and shutdowns queued before this script ran take effect now; the rest wait (a call
  // after a shutdown still brings the widget back).
  queue.splice(0).forEach(function (args) {
    if (args[0] === "on" || args[0] === "off" || args[0] === "shutdown") return Cuecard.apply(null, args);
    if (state === "stopped") state = "waiting";
    queue.push(args);
  });

  if (!config.site) return off(new Error("the script tag needs data-site"));

  function navigated() {
    if (state !== "ready") return;
    try { widget.location_changed(); } catch (error) { off(error); }
  }

  function watchNavigation() {
    var navigation = w.navigation;
    if (navigation && navigation.addEventListener) {
      // The Navigation API reports pushState, replaceState, back/forward and hash changes.
      navigation.addEventListener("currententrychange", navigated);
      return;
    }
    ["pushState", "replaceState"].forEach(function (name) {
      var original = history[name];
      history[name] = function () {
        var result = original.apply(this, arguments);
        navigated();
        return result;
      };
    });
    w.addEventListener("popstate", navigated);
    w.addEventListener("hashchange", navigated);
  }

  function load() {
    if (state !== "waiting") return;
    state = "loading";
    var loaded = glue ? Promise.resolve(glue) : import(base + "__CUECARD_GLUE__").then(function (module) {
      return module.default({ module_or_path: base + "__CUECARD_WASM__" }).then(function () {
        // A fault inside the widget (a trap, or an exception escaping it) lands here, not
        // on the page: the glue guards every call from the browser into the wasm.
        module.onFault(off);
        return (glue = module);
      });
    });
    loaded
      .then(function (module) {
        if (state !== "loading") return; // shut down while loading
        widget = module.mount(host.shadowRoot, config);
        state = "ready";
        if (!watching) watchNavigation();
        watching = true;
        queue.splice(0).forEach(run);
      })
      .catch(off);
  }

  function start() {
    if (state !== "waiting") return;
    try {
      host = d.createElement("cuecard-widget");
      host.attachShadow({ mode: "open" });
      (d.body || d.documentElement).appendChild(host);
    } catch (error) {
      return off(error);
    }
    if (queue.some(function (args) { return args[0] === "open" || args[0] === "show"; })) return load();
    // The worker's first interaction loads at once; otherwise the first idle moment after the
    // page's own load event, so the widget never competes with the page for the network.
    ["pointerdown", "keydown", "focusin"].forEach(function (name) {
      d.addEventListener(name, load, { capture: true, once: true, passive: true });
    });
    function idle() {
      if (w.requestIdleCallback) w.requestIdleCallback(load, { timeout: 3000 });
      else w.setTimeout(load, 200);
    }
    if (d.readyState === "complete") idle();
    else w.addEventListener("load", idle);
  }

  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start);
  else start();
})();
