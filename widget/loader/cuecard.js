/*! Cuecard loader: contextual help at the point of work. https://github.com/cuecard/cuecard */
// The only file a page includes. It defines one global, `Cuecard` (a command queue until the
// widget runs), adds one host element with an open shadow root, and imports the wasm widget
// lazily: at idle time, or at once when the page asks for it. Nothing here may throw into the
// host page; after any failure the widget removes itself quietly.
// `cargo xtask widget` replaces the two __CUECARD_*__ names with the content-hashed files.
(function () {
  "use strict";
  var w = window, d = document, prior = w.Cuecard;
  if (prior && prior.loaded) return; // included twice: the first copy already runs
  var script = d.currentScript;
  if (!script || !script.src || !("attachShadow" in Element.prototype)) return;

  var queue = (prior && prior.q) || [];
  var widget = null, state = "waiting"; // waiting | loading | ready | off
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

  function off(error) {
    state = "off";
    queue.length = 0;
    try { if (widget) widget.shutdown(); } catch (_) { /* already broken */ }
    try { if (host) host.remove(); } catch (_) { /* nothing left to do */ }
    if (error && w.console) w.console.warn("Cuecard: help is disabled on this page.", error);
  }

  function run(args) {
    try { widget.command(String(args[0]), args[1]); } catch (error) { off(error); }
  }

  function Cuecard() {
    if (state === "off") return;
    var name = arguments[0];
    if (name === "on") {
      if (handlers[arguments[1]] && typeof arguments[2] === "function") handlers[arguments[1]].push(arguments[2]);
      return;
    }
    if (name === "shutdown") return off();
    if (state === "ready") return run(arguments);
    queue.push(arguments);
    if (name === "open" || name === "toggle" || name === "show") load();
  }
  Cuecard.loaded = true;
  Cuecard.q = queue;
  w.Cuecard = Cuecard;
  // Handlers and shutdowns queued before this script ran take effect now; the rest wait.
  queue.splice(0).forEach(function (args) {
    if (args[0] === "on" || args[0] === "shutdown") Cuecard.apply(null, args);
    else queue.push(args);
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
    import(base + "__CUECARD_GLUE__")
      .then(function (module) {
        return module.default({ module_or_path: base + "__CUECARD_WASM__" }).then(function () {
          if (state === "off") return; // shut down while loading
          // A fault inside the widget (a trap, or an exception escaping it) lands here, not
          // on the page: the glue guards every call from the browser into the wasm.
          module.onFault(off);
          widget = module.mount(host.shadowRoot, config);
          state = "ready";
          watchNavigation();
          queue.splice(0).forEach(run);
        });
      })
      .catch(off);
  }

  function start() {
    if (state === "off") return;
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
