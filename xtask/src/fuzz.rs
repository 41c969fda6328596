//! `cargo xtask fuzz-api`: Schemathesis generates requests from the service's own
//! `/openapi.json` and checks every answer against it (statuses, headers, bodies), so the
//! document cannot drift from the API. Bounded in examples and time; runs in `cargo xtask test`.

use crate::service::Server;
use crate::{Workspace, cargo, prerequisites, run};
use anyhow::{Context as _, bail};
use std::path::Path;
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct FuzzArgs {
    /// Test cases per operation and phase.
    #[arg(long, default_value_t = 25)]
    pub max_examples: u32,
    /// Time budget for the whole run (seconds).
    #[arg(long, default_value_t = 90)]
    pub max_time: u32,
    /// Random seed, so a failure can be reproduced.
    #[arg(long, default_value_t = 20_261_203)]
    pub seed: u64,
}

impl Default for FuzzArgs {
    fn default() -> Self {
        FuzzArgs { max_examples: 25, max_time: 90, seed: 20_261_203 }
    }
}

fn cuecard(binary: &Path, database_url: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(binary)
        .args(args)
        .env("CUECARD_DATABASE_URL", database_url)
        .env("CUECARD_LOG", "warn")
        .output()
        .with_context(|| format!("running cuecard {}", args.join(" ")))?;
    if !output.status.success() {
        bail!("cuecard {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub fn run_fuzz(workspace: &Workspace, args: &FuzzArgs) -> anyhow::Result<()> {
    let schemathesis = prerequisites::schemathesis(workspace)?;
    run(workspace, &cargo(), &["build", "--locked", "--package", "server", "--bin", "cuecard"])?;
    let binary = workspace.target_dir.join("debug/cuecard");
    let scratch = workspace.target_dir.join("fuzz-api");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    let database_url = format!("sqlite://{}", scratch.join("fuzz.db").display());
    let site = "pk_fuzz_acme";
    cuecard(
        &binary,
        &database_url,
        &["site", "put", site, "--name", "Acme", "--origin", "http://127.0.0.1:9", "--locale", "de"],
    )?;
    let help = workspace.root.join("demo-site/help");
    cuecard(&binary, &database_url, &["import", &help.to_string_lossy(), "--site", site])?;
    let secret =
        cuecard(&binary, &database_url, &["keys", "create", "--site", site, "--role", "owner", "--label", "fuzz"])?;
    let secret = secret.trim().to_owned();

    let dist = workspace.dist_dir().to_string_lossy().into_owned();
    let (server, _) =
        Server::start(&binary, &database_url, &["--public-rate-limit", "0", "--widget-dir", &dist], "/readyz")?;
    let base = format!("http://{}", server.address);

    eprintln!(
        "$ st run {base}/openapi.json (seed {}, {} examples, at most {} s)",
        args.seed, args.max_examples, args.max_time
    );
    let status = Command::new(&schemathesis)
        .arg("--config-file")
        .arg(workspace.root.join("tests/schemathesis.toml"))
        .args(["run", &format!("{base}/openapi.json")])
        .args(["--header", &format!("Authorization: Bearer {secret}")])
        .args(["--mode", "all", "--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", &args.max_examples.to_string(), "--max-time", &args.max_time.to_string()])
        .args(["--seed", &args.seed.to_string(), "--workers", "2", "--request-timeout", "15"])
        .args(["--generation-database", "none", "--warnings", "off", "--no-color"])
        // Revoking or rotating the one key the run authenticates with would end the run.
        .args(["--exclude-operation-id", "keys_revoke", "--exclude-operation-id", "keys_rotate"])
        .current_dir(&scratch)
        .status()
        .context("running schemathesis")?;
    if !status.success() {
        bail!(
            "the API does not match its OpenAPI document (schemathesis: {status}); reproduce with `cargo xtask fuzz-api --seed {}`",
            args.seed
        );
    }
    Ok(())
}
