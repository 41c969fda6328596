//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use crate::{Workspace, cargo, console, fuzz, prerequisites, run, run_with_env, widget};
use anyhow::{Context as _, bail};

pub fn run_all(workspace: &Workspace) -> anyhow::Result<()> {
    prerequisites::rust_components()?;
    prerequisites::wasm_target()?;
    let (chrome, chromedriver) = prerequisites::chromium()?;
    let postgres = prerequisites::postgres()?;
    let cargo = cargo();

    run(workspace, &cargo, &["fmt", "--all", "--check"])?;
    widget_stays_light(workspace)?;
    run(
        workspace,
        &cargo,
        &["clippy", "--workspace", "--all-targets", "--all-features", "--locked", "--", "-D", "warnings"],
    )?;
    run(
        workspace,
        &cargo,
        &[
            "clippy",
            "--package",
            "widget",
            "--package",
            "console",
            "--package",
            "wire",
            "--target",
            "wasm32-unknown-unknown",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    widget::build(workspace)?;
    console::build(workspace)?;
    let axe = prerequisites::axe_core(workspace)?.to_string_lossy().into_owned();
    let tsc = prerequisites::typescript(workspace)?.to_string_lossy().into_owned();
    let chrome = chrome.to_string_lossy().into_owned();
    let chromedriver = chromedriver.to_string_lossy().into_owned();
    let dist = workspace.dist_dir().to_string_lossy().into_owned();
    let console_dist = workspace.console_dist_dir().to_string_lossy().into_owned();
    run_with_env(
        workspace,
        &cargo,
        &["test", "--workspace", "--locked"],
        &[
            ("CUECARD_CHROME", &chrome),
            ("CUECARD_CHROMEDRIVER", &chromedriver),
            ("CUECARD_WIDGET_DIR", &dist),
            ("CUECARD_CONSOLE_DIR", &console_dist),
            ("CUECARD_AXE", &axe),
            ("CUECARD_TSC", &tsc),
            ("CUECARD_TEST_POSTGRES_URL", &postgres),
        ],
    )?;
    // The API against its own OpenAPI document, bounded in examples and time.
    fuzz::run_fuzz(workspace, &fuzz::FuzzArgs::default())?;
    println!("cargo xtask test: all checks passed");
    Ok(())
}

/// The widget and the console must not pull the server's world into the browser.
fn widget_stays_light(workspace: &Workspace) -> anyhow::Result<()> {
    for package in ["widget", "console"] {
        let output = std::process::Command::new(cargo())
            .args(["tree", "--package", package, "--edges", "normal", "--prefix", "none", "--locked"])
            .current_dir(&workspace.root)
            .output()
            .context("running cargo tree")?;
        if !output.status.success() {
            bail!("cargo tree failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        let tree = String::from_utf8_lossy(&output.stdout);
        let forbidden: Vec<&str> = ["tokio ", "sqlx ", "axum ", "hyper "]
            .into_iter()
            .filter(|name| tree.lines().any(|line| line.starts_with(name)))
            .collect();
        if !forbidden.is_empty() {
            bail!("the {package} depends on {forbidden:?}; it must depend on `wire` and browser crates only");
        }
    }
    Ok(())
}
