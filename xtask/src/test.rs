//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use crate::{Workspace, cargo, prerequisites, run, run_with_env, widget};

pub fn run_all(workspace: &Workspace) -> anyhow::Result<()> {
    prerequisites::rust_components()?;
    prerequisites::wasm_target()?;
    let (chrome, chromedriver) = prerequisites::chromium()?;
    let cargo = cargo();

    run(workspace, &cargo, &["fmt", "--all", "--check"])?;
    run(
        workspace,
        &cargo,
        &["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"],
    )?;
    run(
        workspace,
        &cargo,
        &[
            "clippy", "--package", "widget", "--package", "wire", "--target", "wasm32-unknown-unknown", "--locked", "--",
            "-D", "warnings",
        ],
    )?;
    widget::build(workspace)?;
    let chrome = chrome.to_string_lossy().into_owned();
    let chromedriver = chromedriver.to_string_lossy().into_owned();
    let dist = workspace.dist_dir().to_string_lossy().into_owned();
    run_with_env(
        workspace,
        &cargo,
        &["test", "--workspace", "--locked"],
        &[
            ("CUECARD_CHROME", &chrome),
            ("CUECARD_CHROMEDRIVER", &chromedriver),
            ("CUECARD_WIDGET_DIR", &dist),
        ],
    )?;
    println!("cargo xtask test: all checks passed");
    Ok(())
}
