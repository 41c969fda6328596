/*! Cuecard loader: contextual help at the point of work. https://github.com/cuecard/cuecard */
// The only file a page includes. It defines one global, `Cuecard` (a command queue until the
// widget runs), adds one host element with an open shadow root and shows the launcher at once.
// Before the wasm widget has loaded, the launcher opens on the service's first answer
// (`/v1/boot`: the widget's own views rendered on the service); the wasm, imported when the
// worker reaches for help, then takes that markup over, keeping focus, scroll and typed words.
// Nothing here may throw into the host page; after any failure the widget removes itself quietly.
// `cargo xtask widget` replaces the __CUECARD_*__ names: the content-hashed files, and the
// launcher and stylesheet as the widget's own components and CSS render them.
(function () {
  "use strict";
  var w = window, d = document, prior = w.Cuecard;
  // Included again (a second tag, or a tag added back after a shutdown): the first copy runs,
  // and brings the widget back if the page had shut it down.
  if (prior && prior.loaded) return prior("boot");
  var script = d.currentScript;
  if (!script || !script.src || !("attachShadow" in Element.prototype) || !w.CSSStyleSheet) return;

  var LAUNCHERS = __CUECARD_LAUNCHERS__, STYLE = __CUECARD_STYLE__;
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
  // The host, its shadow root and the element holding what the loader shows there.
  var host = null, shadow = null, view = null;
  // The first answer (`boot`), the request for it (`asking`), whether the worker opened the
  // panel, a click on the panel waiting for the widget, and whether the site's theme is in.
  var boot = null, asking = null, opened = false, pending = null, themed = false;
  // Resolves once the page's DOMContentLoaded handlers have run: the event reaches `window`
  // after every handler on `document`. (`interactive` comes before the deferred scripts and
  // DOMContentLoaded: navigation timing tells.)
  var settled = new Promise(function (resolve) {
    var page = w.performance && performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    if (d.readyState === "loading" || (d.readyState === "interactive" && page && !page.domContentLoadedEventEnd)) {
      w.addEventListener("DOMContentLoaded", resolve);
    } else resolve();
  });
  // The last field the worker was in, outside the widget: the context of a first open.
  var field = null;
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
    widget = host = shadow = view = boot = asking = pending = null;
    opened = themed = false;
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
    if (name === "setContext") check(arguments[1]);
    if (state === "ready") return run(arguments);
    // Before the widget runs, the loader opens and closes the first answer itself.
    if (name === "open" || name === "close" || name === "toggle") return toggle(name === "open" || (name === "toggle" && !opened));
    queue.push(arguments);
    if (name === "setContext") stale();
    if (name === "show") load();
  }
  // Says in the console which `setContext` value is not of a type the widget takes (it would be
  // ignored): strings (`null` or `""` clears), lists as arrays of strings or one string.
  function check(context) {
    for (var name in context) {
      var value = context[name], list = /^(roles|keys)$/.test(name);
      if (!/^(route|keys|roles|locale|appVersion)$/.test(name)) warn("setContext ignores " + name);
      else if (!(value == null || typeof value === "string" || (list && [].concat(value).every(function (item) { return typeof item === "string"; })))) {
        warn("setContext ignores " + name + ": " + JSON.stringify(value) + " (a string" + (list ? " or an array of strings" : "; null clears it") + ")");
      }
    }
  }

  function warn(message) {
    if (w.console) w.console.warn("Cuecard: " + message);
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

  // What the widget will know of where the worker is, as `/v1/help` takes it: the path, the
  // help keys of the last field, and what the page told `setContext` so far.
  function context() {
    // A hash-routed app's path is in its hash (`#/claims/42`, `#!/claims/42`).
    var hashed = /^#!?(\/[^?#]*)/.exec(location.hash);
    var query = { site: config.site, path: hashed ? hashed[1] : location.pathname }, keys = [], found = [], told = [], roles = null, route = null, locale = null, version = null;
    for (var node = field; node && node.getAttribute; node = node.parentElement || (node.getRootNode && node.getRootNode().host)) {
      found.push(node.getAttribute("data-help-key") || "");
    }
    queue.forEach(function (args) {
      var set = args[0] === "setContext" && args[1];
      if (!set) return;
      if (set.keys !== undefined) told = [].concat(set.keys || []).join(",").split(",");
      if (set.route !== undefined) route = set.route || null;
      if (set.roles !== undefined) roles = [].concat(set.roles).join(",") || null;
      if (set.locale !== undefined) locale = set.locale || null;
      if (set.appVersion !== undefined) version = set.appVersion || null;
    });
    // Keys the app told (until a navigation), else the last field's; as the widget keeps them.
    (told.length && told[0] ? told : found).forEach(function (key) {
      key = key.trim();
      if (/^[A-Za-z0-9._:-]{1,128}$/.test(key) && keys.indexOf(key) < 0 && keys.length < 32) keys.push(key);
    });
    locale = locale || config.locale || (d.documentElement.getAttribute("lang") || "").trim() || navigator.language;
    [["route", route], ["keys", keys.join(",")], ["roles", roles], ["locale", locale], ["app_version", version]].forEach(function (pair) {
      if (typeof pair[1] === "string" && pair[1]) query[pair[0]] = pair[1];
    });
    return query;
  }

  // The first answer: asked for once per context, never fails (null when the service does not
  // answer). Asked once the page's own DOMContentLoaded handlers have run: what they tell
  // `setContext` (the screen's route, the worker's roles) belongs in it.
  function ask() {
    if (asking) return asking;
    var mine = asking = settled.then(function () {
      if (asking !== mine) return asking; // the context changed meanwhile: the newer one asks
      var abort = new AbortController();
      w.setTimeout(function () { abort.abort(); }, 8000);
      return fetch(config.api + "/v1/boot?" + new URLSearchParams(context()), { credentials: "omit", signal: abort.signal });
    })
      // Our own response, or (when a newer context took over) the newer answer, passed along.
      .then(function (response) { return response instanceof Response ? (response.ok ? response.json() : null) : response; })
      .then(function (answer) {
        if (!answer || asking !== mine || !view) return answer;
        boot = answer;
        var sheet = shadow.adoptedStyleSheets[0];
        if (answer.look.theme && !themed) sheet.insertRule(":host{" + answer.look.theme + "}", sheet.cssRules.length);
        themed = true;
        var wasOpen = !!shadow.getElementById("cuecard-panel");
        show(true);
        mark("first-answer");
        // The worker opened the panel while this was on its way: focus goes to it, as on any open.
        if (opened && !wasOpen) shadow.getElementById("cuecard-panel").focus();
        if (answer.look.hotspots && config.hotspots === null) load();
        return answer;
      })
      .catch(function () { return null; });
    return asking;
  }

  // The context changed before the widget runs: the first answer no longer fits; ask again (an
  // ask still waiting for the page to settle gives way to this one).
  function stale() {
    if (state === "ready" || !asking) return;
    boot = asking = null;
    ask();
  }

  // Keeps what the worker was doing in the widget (focus, typed words, scroll) across a change
  // of the markup: `change()` replaces it.
  function keeping(change) {
    var active = shadow.activeElement, input = shadow.getElementById("cuecard-search"), panel = shadow.getElementById("cuecard-panel");
    var at = active && selector(active);
    var words = input ? input.value : "", from = input && input.selectionStart, to = input && input.selectionEnd, top = panel ? panel.scrollTop : 0;
    change(words);
    input = shadow.getElementById("cuecard-search");
    panel = shadow.getElementById("cuecard-panel");
    if (input && words) {
      input.value = words;
      if (active && at === "#cuecard-search") input.setSelectionRange(from, to);
    }
    if (panel) panel.scrollTop = top;
    var again = at && shadow.querySelector(at);
    if (again) again.focus({ preventScroll: true });
  }

  // How to find `element` again in the widget's own rendering of the same view.
  function selector(element) {
    var snippet = element.getAttribute("data-snippet");
    return element.id ? "#" + element.id : snippet ? '[data-snippet="' + snippet + '"]' : "." + element.classList[0];
  }

  // Shows the first answer (or the launcher) as the panel stands; `kept`: the worker stays where
  // they were (else focus is the caller's).
  function show(kept) {
    var html = boot ? (opened ? boot.open : boot.closed) : LAUNCHERS[lang()] || LAUNCHERS.en;
    if (kept) keeping(function () { view.innerHTML = html; });
    else view.innerHTML = html;
  }

  function lang() {
    return (context().locale || "").split(/[-_]/)[0].toLowerCase();
  }

  // Opens or closes the panel before the widget runs; the widget then takes it over as it stands.
  function toggle(open) {
    if (state === "ready") return run([open ? "open" : "close"]);
    if (!view || open === opened) return;
    opened = open;
    if (open) {
      ask();
      load();
    }
    show(false);
    // As the widget does: an open panel takes focus, a closed one gives it back to the launcher
    // (the panel, if its answer is still on the way, takes it when it comes).
    var target = open ? shadow.getElementById("cuecard-panel") : shadow.querySelector(".cc-launcher");
    if (target) target.focus();
  }

  function navigated() {
    if (state !== "ready") {
      // A route and keys told by the app hold until the next navigation, as in the widget.
      queue.forEach(function (args, at) {
        var told = args[0] === "setContext" && args[1], kept = {};
        if (!told) return;
        for (var name in told) if (name !== "route" && name !== "keys") kept[name] = told[name];
        queue[at] = ["setContext", kept];
      });
      return stale();
    }
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
    // The first answer goes first: on a slow phone the wasm's download and compile would hold
    // its painting up.
    ask()
      .then(function () {
        return glue || import(base + "__CUECARD_GLUE__").then(function (module) {
          return module.default({ module_or_path: base + "__CUECARD_WASM__" }).then(function () {
            // A fault inside the widget (a trap, or an exception escaping it) lands here, not
            // on the page: the glue guards every call from the browser into the wasm.
            module.onFault(off);
            return (glue = module);
          });
        });
      })
      .then(function () {
        if (state !== "loading") return; // shut down while loading
        var shown = view;
        // The widget renders the same views beside the loader's and the loader's go: one task,
        // so nothing flickers, and the worker's focus, words and scroll carry over.
        keeping(function (words) {
          config.boot = boot;
          config.open = opened;
          config.words = words;
          config.field = field;
          config.context = [];
          queue.splice(0).forEach(function (args) {
            if (args[0] === "setContext") config.context.push(args[1]);
            else queue.push(args);
          });
          widget = glue.mount(shadow, config);
          shown.remove();
        });
        view = null;
        state = "ready";
        mark("ready");
        queue.splice(0).forEach(run);
        var click = pending && shadow.querySelector(pending);
        pending = null;
        if (click) click.click();
      })
      .catch(off);
  }

  function start() {
    if (state !== "waiting") return;
    try {
      host = d.createElement("cuecard-widget");
      shadow = host.attachShadow({ mode: "open" });
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      shadow.adoptedStyleSheets = [sheet];
      view = d.createElement("div");
      view.className = "cc-mount";
      shadow.appendChild(view);
      show(false);
      (d.body || d.documentElement).appendChild(host);
      mark("launcher");
    } catch (error) {
      return off(error);
    }
    if (!watching) watchNavigation();
    watching = true;
    // Before the widget runs: the launcher and the first answer's panel work; any other click
    // in the panel waits for the widget, which gets it once it has taken over.
    shadow.addEventListener("click", function (event) {
      var button = state !== "ready" && event.target.closest && event.target.closest("button");
      if (!button) return;
      if (button.classList.contains("cc-launcher")) toggle(!opened);
      else if (button.classList.contains("cc-close")) toggle(false);
      else {
        pending = selector(button);
        load();
      }
    });
    shadow.addEventListener("keydown", function (event) {
      if (state !== "ready" && opened && event.key === "Escape") {
        event.stopPropagation();
        toggle(false);
      }
    });
    // Reaching for the launcher asks for the first answer, and brings the widget.
    ["pointerenter", "focusin"].forEach(function (name) {
      host.addEventListener(name, function () { ask(); load(); }, { passive: true });
    });
    // `open`, `close` and `toggle` called before this ran act on the launcher now.
    queue.splice(0).forEach(function (args) {
      if (/^(open|close|toggle)$/.test(args[0])) Cuecard.apply(null, args);
      else queue.push(args);
    });
    // The first answer (a few KB, cached by the browser for 30 s; it says whether the site wants
    // hotspots), so the launcher opens on it at once. The wasm waits for the worker, unless the
    // page wants hotspots (then at idle) or a snippet shown.
    ask();
    // Once the page's stylesheets are in, its background is known.
    settled.then(scheme);
    if (queue.some(function (args) { return args[0] === "show"; })) return load();
    if (config.hotspots !== null && !/^(off|false)$/.test(config.hotspots)) idle(load);
  }

  // A page that declares no colour scheme but is dark (its background) gets a dark panel too;
  // a declared scheme reaches the widget through CSS (`color-scheme: inherit`).
  function scheme() {
    var root = d.documentElement, declared = getComputedStyle(root).colorScheme;
    if (!host || d.querySelector('meta[name="color-scheme"]') || (declared && declared !== "normal")) return;
    var rgb = [d.body, root].map(function (element) { return getComputedStyle(element).backgroundColor.match(/[\d.]+/g).map(Number); })
      .filter(function (rgb) { return rgb[3] !== 0; })[0] || [255, 255, 255];
    host.style.colorScheme = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] < 128 ? "dark" : "";
  }

  // Milestones for the page's own measurements (User Timing): `cuecard:launcher`,
  // `cuecard:first-answer`, `cuecard:ready` (the widget took over).
  function mark(name) {
    if (w.performance && performance.mark) performance.mark("cuecard:" + name);
  }

  // At the first idle moment after the page's own load event: never competing with the page.
  function idle(then) {
    function soon() {
      if (w.requestIdleCallback) w.requestIdleCallback(then, { timeout: 3000 });
      else w.setTimeout(then, 200);
    }
    if (d.readyState === "complete") soon();
    else w.addEventListener("load", soon);
  }

  // The field the worker is in (inside a web component's open shadow root too).
  d.addEventListener("focusin", function (event) {
    var path = event.composedPath();
    if (path.indexOf(host) < 0) field = path[0];
  }, { capture: true, passive: true });

  if (d.body) start();
  else d.addEventListener("DOMContentLoaded", start);
})();
