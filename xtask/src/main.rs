//! `cargo xtask`: the project's automation, in Rust so it runs wherever cargo does.

mod bench;
mod bench_browser;
mod console;
mod demo;
mod fuzz;
mod prerequisites;
mod service;
mod test;
mod widget;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::Command;

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Build, demo and test Cuecard")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Build the widget (release, size-optimized) into widget/dist and print its sizes.
    Widget,
    /// Build the console (authors' and L&D's web app) into console/dist and print its sizes.
    Console,
    /// Build everything, load the demo content and serve the API (:8080) and the demo site (:8081).
    Demo(demo::DemoArgs),
    /// What CI runs: formatting, lints, every test, the wasm build and the browser suite.
    Test,
    /// Fuzz the running service against its own OpenAPI document (Schemathesis).
    FuzzApi(fuzz::FuzzArgs),
    /// Engine benches (criterion), then the release service under load (wrk) vs its hello-world route.
    Bench(bench::BenchArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().task {
        Task::Widget => widget::build(&Workspace::locate()?).map(drop),
        Task::Console => console::build(&Workspace::locate()?).map(drop),
        Task::Demo(args) => demo::run_demo(&Workspace::locate()?, &args),
        Task::Test => test::run_all(&Workspace::locate()?),
        Task::FuzzApi(args) => fuzz::run_fuzz(&Workspace::locate()?, &args),
        Task::Bench(args) => bench::run_bench(&Workspace::locate()?, &args),
    }
}

/// Where things are.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
}

impl Workspace {
    fn locate() -> anyhow::Result<Workspace> {
        // `cargo run` says where this checkout's xtask is; the path compiled in may be another
        // checkout's when several share one target directory (its binary is copied over).
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
        let root = manifest_dir.parent().context("xtask lives inside the workspace")?.to_owned();
        let output = Command::new(cargo())
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .current_dir(&root)
            .output()
            .context("running cargo metadata")?;
        if !output.status.success() {
            bail!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)?;
        let target_dir =
            metadata["target_directory"].as_str().context("cargo metadata has no target_directory")?.into();
        Ok(Workspace { root, target_dir })
    }

    pub fn dist_dir(&self) -> PathBuf {
        self.root.join("widget/dist")
    }

    pub fn console_dist_dir(&self) -> PathBuf {
        self.root.join("console/dist")
    }

    pub fn tools_dir(&self) -> PathBuf {
        self.target_dir.join("tools")
    }
}

pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs a command in the workspace, echoing it, failing with its name if it fails.
pub fn run(workspace: &Workspace, program: &str, args: &[&str]) -> anyhow::Result<()> {
    run_with_env(workspace, program, args, &[])
}

pub fn run_with_env(workspace: &Workspace, program: &str, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<()> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(&workspace.root)
        .status()
        .with_context(|| format!("could not start `{program}`"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}
