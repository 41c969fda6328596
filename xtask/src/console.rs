//! Builds the console for browsers: its wasm (built beside the widget's), JS bindings, wasm-opt,
//! content-hashed files, the stylesheet, a small boot module and `index.html` pointing at them,
//! precompressed copies, and a size report. Nothing in the page is inline, so the console's
//! strict CSP (`script-src 'self'`, `style-src 'self'`) holds.

use crate::Workspace;
use crate::widget::{bindgen, build_wasm, precompress, short_hash};
use anyhow::{Context as _, bail};
use std::path::PathBuf;

/// What `build` produced.
#[derive(Debug)]
pub struct ConsoleDist {
    /// Every file a first visit downloads, `index.html` first.
    pub files: Vec<PathBuf>,
}

pub fn build(workspace: &Workspace) -> anyhow::Result<ConsoleDist> {
    build_wasm(workspace)?;
    let raw_wasm = workspace.target_dir.join("wasm32-unknown-unknown/widget/console.wasm");
    let style = std::fs::read_to_string(workspace.root.join("console/style.css"))?;
    let template = std::fs::read_to_string(workspace.root.join("console/index.html"))?;
    for placeholder in ["__CONSOLE_BOOT__", "__CONSOLE_STYLE__"] {
        if !template.contains(placeholder) {
            bail!("console/index.html lost its {placeholder} placeholder");
        }
    }
    let dir = workspace.console_dist_dir();
    let build_key = format!(
        "{}-{}-{}-{}-{}",
        short_hash(&std::fs::read(&raw_wasm).context("the console's wasm was not built")?),
        short_hash(style.as_bytes()),
        short_hash(template.as_bytes()),
        short_hash(include_str!("console.rs").as_bytes()),
        // The bindgen and wasm-opt step is the widget's (`widget::bindgen`).
        short_hash(include_str!("widget.rs").as_bytes()),
    );
    if let Some(existing) = existing(&dir, &build_key) {
        print_sizes(&existing)?;
        return Ok(existing);
    }
    let staging = workspace.target_dir.join("console-bindgen");
    let bindgen_wasm = bindgen(workspace, &raw_wasm, &staging, &["-Oz"])?;

    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let wasm = std::fs::read(&bindgen_wasm)?;
    let wasm_name = format!("console-{}.wasm", short_hash(&wasm));
    let glue = std::fs::read_to_string(staging.join("console.js"))?.replace("console_bg.wasm", &wasm_name);
    let glue_name = format!("console-{}.js", short_hash(glue.as_bytes()));
    let boot = format!(
        "import init from \"./{glue_name}\";\ninit({{ module_or_path: new URL(\"{wasm_name}\", import.meta.url) }});\n"
    );
    let boot_name = format!("boot-{}.js", short_hash(boot.as_bytes()));
    let style_name = format!("console-{}.css", short_hash(style.as_bytes()));
    let page = template
        .replace("__CONSOLE_BOOT__", &format!("/console/{boot_name}"))
        .replace("__CONSOLE_STYLE__", &format!("/console/{style_name}"))
        .replace("__CONSOLE_GLUE__", &format!("/console/{glue_name}"))
        .replace("__CONSOLE_WASM__", &format!("/console/{wasm_name}"));
    let files = vec![
        dir.join("index.html"),
        dir.join(&boot_name),
        dir.join(&glue_name),
        dir.join(&wasm_name),
        dir.join(&style_name),
    ];
    std::fs::write(&files[0], page)?;
    std::fs::write(&files[1], boot)?;
    std::fs::write(&files[2], glue)?;
    std::fs::write(&files[3], wasm)?;
    std::fs::write(&files[4], style)?;
    for file in &files {
        precompress(file)?;
    }
    let names: Vec<String> = files.iter().map(|file| file_name(file)).collect();
    std::fs::write(dir.join(".build-key"), format!("{build_key}\n{}\n", names.join("\n")))?;
    let built = ConsoleDist { files };
    print_sizes(&built)?;
    Ok(built)
}

fn file_name(file: &std::path::Path) -> String {
    file.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()
}

fn existing(dir: &std::path::Path, build_key: &str) -> Option<ConsoleDist> {
    let manifest = std::fs::read_to_string(dir.join(".build-key")).ok()?;
    let mut lines = manifest.lines();
    if lines.next()? != build_key {
        return None;
    }
    let files: Vec<PathBuf> = lines.map(|name| dir.join(name)).collect();
    (files.len() == 5 && files.iter().all(|file| file.is_file())).then_some(ConsoleDist { files })
}

/// Sizes as sent (brotli, which browsers get from the service) of what a first visit loads.
fn print_sizes(dist: &ConsoleDist) -> anyhow::Result<()> {
    println!("{:<28} {:>9} {:>9}", "console payload", "raw", "brotli 11");
    let mut totals = [0u64; 2];
    for file in &dist.files {
        let raw = std::fs::metadata(file)?.len();
        let mut compressed = file.as_os_str().to_owned();
        compressed.push(".br");
        let brotli = std::fs::metadata(PathBuf::from(compressed))?.len();
        totals[0] += raw;
        totals[1] += brotli;
        println!("{:<28} {raw:>9} {brotli:>9}", file_name(file));
    }
    println!("{:<28} {:>9} {:>9}", "total", totals[0], totals[1]);
    Ok(())
}
