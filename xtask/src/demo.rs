//! `cargo xtask demo`: the whole product on this machine, as a customer would run it.

use crate::{Workspace, cargo, console, run, widget};
use anyhow::{Context as _, bail};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Address of the Cuecard service (API and widget).
    #[arg(long, default_value = "127.0.0.1:8080")]
    api: SocketAddr,
    /// Address of the demo business app.
    #[arg(long, default_value = "127.0.0.1:8081")]
    site: SocketAddr,
}

pub fn run_demo(workspace: &Workspace, args: &DemoArgs) -> anyhow::Result<()> {
    widget::build(workspace)?;
    console::build(workspace)?;
    run(workspace, &cargo(), &["build", "--package", "server", "--bin", "cuecard"])?;
    let binary = workspace.target_dir.join("debug/cuecard");
    let data_dir = workspace.target_dir.join("demo");
    std::fs::create_dir_all(&data_dir)?;
    for stale in ["cuecard.db", "cuecard.db-wal", "cuecard.db-shm"] {
        let _ = std::fs::remove_file(data_dir.join(stale));
    }
    let database_url = format!("sqlite://{}", data_dir.join("cuecard.db").display());
    let api_origin = format!("http://{}", args.api);
    let site_origin = format!("http://{}", args.site);
    let localhost_origin = format!("http://localhost:{}", args.site.port());
    // Runs a `cuecard` command; returns what it printed on stdout.
    let cuecard = |arguments: &[&str]| -> anyhow::Result<String> {
        let output = std::process::Command::new(&binary)
            .args(arguments)
            .env("CUECARD_DATABASE_URL", &database_url)
            .env("CUECARD_LOG", "warn")
            .current_dir(&workspace.root)
            .stderr(std::process::Stdio::inherit())
            .output()
            .with_context(|| format!("running {}", binary.display()))?;
        if !output.status.success() {
            bail!("cuecard {} failed", arguments.join(" "));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    cuecard(&[
        "site",
        "put",
        "pk_demo_acme",
        "--name",
        "Acme Expenses (demo)",
        "--origin",
        &site_origin,
        "--origin",
        &localhost_origin,
    ])?;
    print!("{}", cuecard(&["import", "demo-site/help", "--site", "pk_demo_acme"])?);
    // A month of synthetic traffic (app version `0.0.0-synthetic`), so the reports show something.
    print!("{}", cuecard(&["seed-demo-traffic", "--site", "pk_demo_acme", "--days", "30"])?);
    // An owner key, so the admin API can be tried at once (the demo database is fresh each run).
    let owner_key = cuecard(&["keys", "create", "--site", "pk_demo_acme", "--role", "owner", "--label", "demo"])?;
    let owner_key = owner_key.trim().to_owned();

    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.site)
            .await
            .with_context(|| format!("the demo site's address {} is taken", args.site))?;
        let mut service = tokio::process::Command::new(&binary)
            .args(["serve", "--listen", &args.api.to_string(), "--widget-dir"])
            .arg(workspace.dist_dir())
            .arg("--console-dir")
            .arg(workspace.console_dist_dir())
            .env("CUECARD_DATABASE_URL", &database_url)
            .kill_on_drop(true)
            .spawn()
            .context("starting cuecard serve")?;
        let host = cuecard_e2e::router(cuecard_e2e::HostOptions::new(demo_site_dir(workspace), api_origin.clone()));
        println!();
        println!(
            "  Cuecard API and widget:  {api_origin}   (try {api_origin}/v1/help?site=pk_demo_acme&route=/claims/new)"
        );
        println!("  Demo business app:       {site_origin}/claims/");
        println!("  Console (authors, L&D):  {api_origin}/console/");
        println!("      sign in with the owner key: {owner_key}");
        println!("  Admin API (owner key):   {owner_key}");
        println!("      curl -H 'Authorization: Bearer {owner_key}' {api_origin}/admin/v1/sites/pk_demo_acme/snippets");
        println!("  API reference:           {api_origin}/openapi.json");
        println!();
        println!("  Press Ctrl-C to stop.");
        tokio::select! {
            result = axum::serve(listener, host) => result.context("demo site server")?,
            status = service.wait() => bail!("cuecard serve stopped: {}", status?),
            _ = tokio::signal::ctrl_c() => {}
        }
        let _ = service.start_kill();
        let _ = service.wait().await;
        println!("stopped");
        Ok(())
    })
}

fn demo_site_dir(workspace: &Workspace) -> PathBuf {
    workspace.root.join("demo-site")
}
