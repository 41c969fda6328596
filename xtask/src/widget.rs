//! Builds the widget for browsers: release wasm, JS bindings, optional wasm-opt, content-hashed
//! names, the loader pointing at them, minified JS, precompressed copies, and a size report.

use crate::{Workspace, cargo, prerequisites, run_with_env};
use anyhow::{Context as _, bail};
use sha2::{Digest, Sha256};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// What `build` produced, for size checks and reports.
#[derive(Debug)]
pub struct Dist {
    pub loader: PathBuf,
    pub glue: PathBuf,
    pub wasm: PathBuf,
}

/// Compiles the widget's and the console's wasm (release, size over speed).
pub fn build_wasm(workspace: &Workspace) -> anyhow::Result<()> {
    prerequisites::wasm_target()?;
    // Source paths could end up in the wasm (`file!()`). The registry's are absolute: shorten
    // them, which keeps the build machine's directories out of what browsers download. (This
    // checkout's are relative already, so the flags, and the build cache, are the same for every
    // checkout on a machine.)
    let cargo_home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_default();
    let remap = format!("--remap-path-prefix={}=crates", cargo_home.join("registry/src").display());
    // The standard library compiled with the wasm, for size: rustup's copy is built for speed and
    // formats a message for every panic. Here it is built at `opt-level = "z"`, a panic is a bare
    // trap (`panic=immediate-abort`; the loader's guard turns any trap into a quiet shutdown, as
    // before) and panic locations carry no file names. This takes two flags that are unstable in
    // Rust 1.95 (`-Zbuild-std`, `-Cpanic=immediate-abort`), so this one build sets
    // `RUSTC_BOOTSTRAP=1`; every other build, and every test, uses the stable toolchain as is. It
    // saves 12.2 KB brotli of the widget (99,397 → 87,179 B before gloo-net and serde came in).
    let rustflags =
        [remap.as_str(), "-Zunstable-options", "-Cpanic=immediate-abort", "-Zlocation-detail=none"].join("\x1f");
    // The widget and the console in one build: they share the wasm dependencies (with features
    // unified once), so building either never rebuilds the other's.
    run_with_env(
        workspace,
        &cargo(),
        &[
            "build",
            "--package",
            "widget",
            "--package",
            "console",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "widget",
            "-Zbuild-std=std,panic_abort",
        ],
        &[("CARGO_ENCODED_RUSTFLAGS", &rustflags), ("RUSTC_BOOTSTRAP", "1")],
    )?;
    Ok(())
}

pub fn build(workspace: &Workspace) -> anyhow::Result<Dist> {
    build_wasm(workspace)?;
    let raw_wasm = workspace.target_dir.join("wasm32-unknown-unknown/widget/widget.wasm");
    let loader_template = std::fs::read_to_string(workspace.root.join("widget/loader/cuecard.js"))?;
    let placeholders = ["__CUECARD_GLUE__", "__CUECARD_WASM__", "__CUECARD_LAUNCHERS__", "__CUECARD_STYLE__"];
    if let Some(lost) = placeholders.iter().find(|placeholder| !loader_template.contains(*placeholder)) {
        bail!("widget/loader/cuecard.js lost its {lost} placeholder");
    }
    // The launcher as the widget's own component renders it, in each language, and the widget's
    // stylesheet: the loader shows the launcher before the wasm has loaded.
    let launchers: serde_json::Map<String, serde_json::Value> =
        widget::render::launchers().into_iter().map(|(tag, html)| (tag.to_owned(), html.into())).collect();
    let loader_template = loader_template
        .replace("__CUECARD_LAUNCHERS__", &serde_json::Value::Object(launchers).to_string())
        .replace("__CUECARD_STYLE__", &serde_json::Value::from(widget::STYLE).to_string());
    // The post-processing below takes seconds; skip it when its inputs did not change.
    let dist = workspace.dist_dir();
    let terser = prerequisites::terser(workspace);
    if terser.is_none() {
        eprintln!("note: terser not available; the loader and glue go out unminified (about 2 KB more brotli)");
    }
    // Inputs: the wasm, the loader (with the launchers and stylesheet in it), the type
    // declarations, this post-processing (its source) and whether terser runs.
    let build_key = format!(
        "{}-{}-{}-{}-{}",
        short_hash(&std::fs::read(&raw_wasm).context("the widget's wasm was not built")?),
        short_hash(loader_template.as_bytes()),
        short_hash(&std::fs::read(workspace.root.join("widget/loader/cuecard.d.ts"))?),
        short_hash(include_str!("widget.rs").as_bytes()),
        if terser.is_some() { "min" } else { "plain" }
    );
    if let Some(existing) = existing_dist(&dist, &build_key) {
        print_sizes(&existing)?;
        return Ok(existing);
    }
    let staging = workspace.target_dir.join("widget-bindgen");
    // `-iit`: loads, stores and divisions are assumed not to trap (Rust never relies on them
    // trapping); `--low-memory-unused`: the first KB is the far end of the stack, which rustc
    // places first (together about 770 B brotli); then the control flow flattened and rebuilt
    // (`--flatten --rereloop`) and shrunk again: about 230 B more.
    let optimize = ["-Oz", "--converge", "-iit", "--low-memory-unused", "--flatten", "--rereloop", "-Oz", "--converge"];
    let bindgen_wasm = bindgen(workspace, &raw_wasm, &staging, &optimize)?;

    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(&dist)?;
    let wasm_bytes = std::fs::read(&bindgen_wasm)?;
    let wasm_name = format!("cuecard-{}.wasm", short_hash(&wasm_bytes));
    let glue_source = std::fs::read_to_string(staging.join("widget.js"))?;
    // The default path is never used (the loader passes the hashed one) but keep it truthful.
    let glue_source = guard_glue(&glue_source.replace("widget_bg.wasm", &wasm_name))?;
    let glue_source = minify(terser.as_deref(), &staging, &glue_source, Kind::Module)?;
    let glue_name = format!("cuecard-{}.js", short_hash(glue_source.as_bytes()));
    let loader_source = loader_template.replace("__CUECARD_GLUE__", &glue_name).replace("__CUECARD_WASM__", &wasm_name);
    let loader_source = minify(terser.as_deref(), &staging, &loader_source, Kind::Script)?;

    let result = Dist { loader: dist.join("cuecard.js"), glue: dist.join(&glue_name), wasm: dist.join(&wasm_name) };
    std::fs::write(&result.loader, loader_source)?;
    std::fs::write(&result.glue, glue_source)?;
    std::fs::write(&result.wasm, wasm_bytes)?;
    for file in [&result.loader, &result.glue, &result.wasm] {
        precompress(file)?;
    }
    // The embed's TypeScript declarations, served beside the loader.
    std::fs::copy(workspace.root.join("widget/loader/cuecard.d.ts"), dist.join("cuecard.d.ts"))?;
    std::fs::write(dist.join(".build-key"), format!("{build_key}\n{glue_name}\n{wasm_name}\n"))?;
    print_sizes(&result)?;
    Ok(result)
}

/// wasm-bindgen (web target, no name or producers section) from `raw_wasm` into a fresh
/// `staging` folder, then wasm-opt with `optimize` when it is available. Returns the wasm to ship;
/// the glue is beside it, named after the crate (`widget.js`, `console.js`).
pub fn bindgen(workspace: &Workspace, raw_wasm: &Path, staging: &Path, optimize: &[&str]) -> anyhow::Result<PathBuf> {
    let _ = std::fs::remove_dir_all(staging);
    std::fs::create_dir_all(staging)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(raw_wasm)
        .web(true)?
        .omit_default_module_path(false)
        .remove_name_section(true)
        .remove_producers_section(true)
        .typescript(false)
        .generate(staging)
        .with_context(|| format!("wasm-bindgen on {}", raw_wasm.display()))?;
    let stem = raw_wasm.file_stem().context("wasm file name")?.to_string_lossy().into_owned();
    let bindgen_wasm = staging.join(format!("{stem}_bg.wasm"));
    drop_stream_exports(&bindgen_wasm)?;
    let Some(wasm_opt) = prerequisites::wasm_opt(workspace) else {
        eprintln!("note: wasm-opt not available; {stem}'s wasm is about 1% larger over the wire");
        return Ok(bindgen_wasm);
    };
    let optimized = staging.join(format!("{stem}_opt.wasm"));
    let status = std::process::Command::new(&wasm_opt)
        .args(optimize)
        .arg(&bindgen_wasm)
        .arg("-o")
        .arg(&optimized)
        .status()
        .with_context(|| format!("running {}", wasm_opt.display()))?;
    if !status.success() {
        bail!("wasm-opt failed on {stem} ({status})");
    }
    std::fs::rename(&optimized, &bindgen_wasm)?;
    Ok(bindgen_wasm)
}

/// Added to the glue: the guard every call from the browser into the wasm goes through.
const GLUE_GUARD: &str = r#"
var faulted = false, onFaultHandler = null;
/** The loader's `off`: called once, with the error, when the widget faults. */
export function onFault(handler) { onFaultHandler = handler; }
function guard(call) {
    return function () {
        if (faulted) return undefined;
        try {
            return call.apply(this, arguments);
        } catch (error) {
            faulted = true;
            if (onFaultHandler) onFaultHandler(error);
            return undefined;
        }
    };
}
"#;

/// Leptos links `wasm-streams` (through `server_fn`), whose `#[wasm_bindgen]` classes
/// (`IntoUnderlyingSource`, `…Sink`, `…ByteSource`) are exported from every Leptos wasm though
/// neither app makes a stream. Without their exports, wasm-opt drops their code: about 1.4 KB
/// brotli of the widget, 1.5 KB of the console. (The glue keeps its never-called wrapper classes.)
fn drop_stream_exports(wasm: &Path) -> anyhow::Result<()> {
    let mut module = walrus::Module::from_file(wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let unused: Vec<walrus::ExportId> = module
        .exports
        .iter()
        .filter(|export| export.name.contains("intounderlying"))
        .map(|export| export.id())
        .collect();
    for export in unused {
        module.exports.delete(export);
    }
    module.emit_wasm_file(wasm).with_context(|| format!("writing {}", wasm.display()))?;
    Ok(())
}

/// Guards wasm-bindgen's glue so that no fault of the widget reaches the host page: every call
/// from the browser into the wasm (event listeners, timers, observers, promise callbacks, the
/// collection of dropped closures) goes through the glue's closure trampolines. Wrapped in
/// `guard`, an exception or trap escaping the wasm is caught there, reported once to the loader
/// (which switches the widget off) and the wasm is never entered again. The loader's own calls
/// (`mount`, commands) are guarded in the loader. Fails if wasm-bindgen's glue changed shape.
fn guard_glue(glue: &str) -> anyhow::Result<String> {
    let edits = [
        ("const real = (...args) => {", "const real = guard((...args) => {", 2),
        ("    };\n    real._wbg_cb_unref = () => {", "    });\n    real._wbg_cb_unref = () => {", 2),
        (
            "new FinalizationRegistry(state => wasm.__wbindgen_destroy_closure(state.a, state.b))",
            "new FinalizationRegistry(guard(state => wasm.__wbindgen_destroy_closure(state.a, state.b)))",
            1,
        ),
    ];
    let mut guarded = glue.to_owned();
    for (from, to, count) in edits {
        let found = guarded.matches(from).count();
        if found != count {
            bail!("wasm-bindgen's glue changed: `{from}` found {found} times, not {count}; update guard_glue");
        }
        guarded = guarded.replace(from, to);
    }
    guarded.push_str(GLUE_GUARD);
    Ok(guarded)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A classic script (the loader).
    Script,
    /// An ES module (the wasm-bindgen glue).
    Module,
}

/// `source` minified by terser (names mangled, dead code dropped; `/*!` notices kept). Without
/// terser the glue goes as it is and the loader without its comment lines.
fn minify(terser: Option<&Path>, staging: &Path, source: &str, kind: Kind) -> anyhow::Result<String> {
    let Some(terser) = terser else {
        return Ok(if kind == Kind::Script { compact_loader(source) } else { source.to_owned() });
    };
    let input = staging.join("minify-input.js");
    let output = staging.join("minify-output.js");
    std::fs::write(&input, source)?;
    let mut command = std::process::Command::new(terser);
    command.arg(&input).args(["--compress", "passes=2", "--mangle", "--output"]).arg(&output);
    if kind == Kind::Module {
        // A module's top-level names are its own (exports are listed): mangle them too.
        command.args(["--module", "--toplevel"]);
    }
    let status = command.status().with_context(|| format!("running {}", terser.display()))?;
    if !status.success() {
        bail!("terser failed ({status})");
    }
    Ok(std::fs::read_to_string(&output)?)
}

/// The loader as sent: its comment lines and indentation are for readers of the repository, not
/// for every page load. Only whole `//` lines go (the `/*! … */` notice stays), so nothing inside a
/// string can be touched.
fn compact_loader(source: &str) -> String {
    let lines: Vec<&str> =
        source.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with("//")).collect();
    lines.join("\n") + "\n"
}

/// The files a previous build with the same inputs left, if they are all still there.
/// `.build-key` holds the inputs' key, then the glue's and the wasm's file names.
fn existing_dist(dist: &Path, build_key: &str) -> Option<Dist> {
    let manifest = std::fs::read_to_string(dist.join(".build-key")).ok()?;
    let mut lines = manifest.lines();
    if lines.next()? != build_key {
        return None;
    }
    let result =
        Dist { loader: dist.join("cuecard.js"), glue: dist.join(lines.next()?), wasm: dist.join(lines.next()?) };
    [&result.loader, &result.glue, &result.wasm].iter().all(|file| file.is_file()).then_some(result)
}

/// Sizes as sent: raw, and the precompressed copies the server picks for browsers.
fn print_sizes(dist: &Dist) -> anyhow::Result<()> {
    println!("{:<28} {:>9} {:>9} {:>9}", "widget payload", "raw", "gzip -9", "brotli 11");
    let mut totals = [0usize; 3];
    for file in [&dist.loader, &dist.glue, &dist.wasm] {
        let size_of = |suffix: &str| -> anyhow::Result<usize> {
            let mut name = file.as_os_str().to_owned();
            name.push(suffix);
            Ok(usize::try_from(std::fs::metadata(PathBuf::from(name))?.len())?)
        };
        let sizes = [size_of("")?, size_of(".gz")?, size_of(".br")?];
        for (total, size) in totals.iter_mut().zip(sizes) {
            *total += size;
        }
        let name = file.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        println!("{name:<28} {:>9} {:>9} {:>9}", sizes[0], sizes[1], sizes[2]);
    }
    println!("{:<28} {:>9} {:>9} {:>9}", "total", totals[0], totals[1], totals[2]);
    Ok(())
}

pub fn short_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().take(5).map(|byte| format!("{byte:02x}")).collect()
}

pub fn gzip(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

pub fn brotli(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut output = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut output, &params)?;
    Ok(output)
}

/// Writes `FILE.br` and `FILE.gz`, which the server sends to browsers that accept them.
pub fn precompress(file: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file)?;
    let name = file.file_name().context("file name")?.to_string_lossy().into_owned();
    std::fs::write(file.with_file_name(format!("{name}.br")), brotli(&bytes)?)?;
    std::fs::write(file.with_file_name(format!("{name}.gz")), gzip(&bytes)?)?;
    Ok(())
}
