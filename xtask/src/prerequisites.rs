//! What a fresh machine needs, checked and installed where we can, or named exactly where we can't.

use crate::Workspace;
use anyhow::{Context as _, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).stderr(Stdio::null()).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Finds `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

fn install_with_rustup(args: &[&str], what: &str) -> anyhow::Result<()> {
    eprintln!("installing {what}: rustup {}", args.join(" "));
    if !succeeds("rustup", args) {
        bail!("{what} is missing and `rustup {}` failed; install it and retry", args.join(" "));
    }
    Ok(())
}

pub fn wasm_target() -> anyhow::Result<()> {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !installed.lines().any(|line| line.trim() == "wasm32-unknown-unknown") {
        install_with_rustup(&["target", "add", "wasm32-unknown-unknown"], "the wasm32-unknown-unknown target")?;
    }
    // The standard library's source: the wasm builds compile it for size (see `widget::build_wasm`).
    let components = output("rustup", &["component", "list", "--installed"]).unwrap_or_default();
    if !components.lines().any(|line| line.trim() == "rust-src") {
        install_with_rustup(&["component", "add", "rust-src"], "the rust-src component")?;
    }
    Ok(())
}

pub fn rust_components() -> anyhow::Result<()> {
    for (component, check) in [("rustfmt", ["fmt", "--version"]), ("clippy", ["clippy", "--version"])] {
        if !succeeds(&crate::cargo(), &check) {
            install_with_rustup(&["component", "add", component], component)?;
        }
    }
    Ok(())
}

/// Chromium and its WebDriver, from the environment (`CUECARD_CHROME`, `CUECARD_CHROMEDRIVER`),
/// PATH, or Debian's packages (installed here when running as root with apt-get).
pub fn chromium() -> anyhow::Result<(PathBuf, PathBuf)> {
    let find = || {
        let chrome = std::env::var_os("CUECARD_CHROME").map(PathBuf::from).or_else(|| {
            ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"].into_iter().find_map(which)
        });
        let driver = std::env::var_os("CUECARD_CHROMEDRIVER").map(PathBuf::from).or_else(|| which("chromedriver"));
        chrome.zip(driver)
    };
    if let Some(found) = find() {
        return Ok(found);
    }
    let is_root = output("id", &["-u"]).is_some_and(|uid| uid.trim() == "0");
    if is_root && which("apt-get").is_some() {
        eprintln!("installing Chromium and ChromeDriver from Debian: apt-get install chromium chromium-driver");
        let env = [("DEBIAN_FRONTEND", "noninteractive")];
        let update = Command::new("apt-get").args(["update", "-qq"]).envs(env).status();
        let install = Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends", "chromium", "chromium-driver"])
            .envs(env)
            .status();
        if !(update.is_ok_and(|status| status.success()) && install.is_ok_and(|status| status.success())) {
            bail!("`apt-get install chromium chromium-driver` failed");
        }
    }
    find().context(
        "the browser tests need Chromium and ChromeDriver: install Debian's `chromium` and \
         `chromium-driver` (apt-get install chromium chromium-driver), or point CUECARD_CHROME and \
         CUECARD_CHROMEDRIVER at a browser and its matching driver",
    )
}

/// Installs a Debian package when running as root with apt-get; says what to install otherwise.
fn apt_install(program: &str, package: &str) -> anyhow::Result<()> {
    if which(program).is_some() {
        return Ok(());
    }
    let is_root = output("id", &["-u"]).is_some_and(|uid| uid.trim() == "0");
    if is_root && which("apt-get").is_some() {
        eprintln!("installing {package} from Debian: apt-get install {package}");
        let env = [("DEBIAN_FRONTEND", "noninteractive")];
        let _ = Command::new("apt-get").args(["update", "-qq"]).envs(env).status();
        let _ = Command::new("apt-get").args(["install", "-y", "-qq", package]).envs(env).status();
    }
    if which(program).is_none() {
        bail!("`{program}` is needed: install Debian's `{package}` (apt-get install {package})");
    }
    Ok(())
}

/// The HTTP load generator for `cargo xtask bench`.
pub fn wrk() -> anyhow::Result<()> {
    apt_install("wrk", "wrk")
}

/// A package from the npm registry, installed into target/tools (once); `file` is the path inside
/// `node_modules` the caller needs. `None` when npm is missing or the install failed.
fn npm_tool(workspace: &Workspace, package: &str, file: &str) -> Option<PathBuf> {
    let tools = workspace.tools_dir();
    let path = tools.join("node_modules").join(file);
    if path.is_file() {
        return Some(path);
    }
    which("npm")?;
    eprintln!("installing {package} from npm into {}", tools.display());
    std::fs::create_dir_all(&tools).ok()?;
    let installed = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
        .arg(&tools)
        .arg(package)
        .status()
        .is_ok_and(|status| status.success());
    (installed && path.is_file()).then_some(path)
}

/// driver.js from npm (the browser benchmark's comparison): its script and its stylesheet.
pub fn driver_js(workspace: &Workspace) -> anyhow::Result<(PathBuf, PathBuf)> {
    let script = npm_tool(workspace, "driver.js@1.8.0", "driver.js/dist/driver.js.iife.js")
        .context("the browser benchmark compares with driver.js from npm: npm is needed")?;
    let style = script.with_file_name("driver.css");
    Ok((script, style))
}

/// A working wasm-opt: binaryen from npm, or one on PATH that is recent enough. Debian's
/// binaryen 108 emits modules that fail at init.
pub fn wasm_opt(workspace: &Workspace) -> Option<PathBuf> {
    const MIN_VERSION: u32 = 116;
    let version_of = |program: &Path| {
        let text = output(program.to_str()?, &["--version"])?;
        text.split(|character: char| !character.is_ascii_digit()).find(|part| !part.is_empty())?.parse::<u32>().ok()
    };
    let installed = workspace.tools_dir().join("node_modules/.bin/wasm-opt");
    if !installed.is_file()
        && let Some(on_path) =
            which("wasm-opt").filter(|path| version_of(path).is_some_and(|version| version >= MIN_VERSION))
    {
        return Some(on_path);
    }
    npm_tool(workspace, "binaryen@132.0.0", ".bin/wasm-opt")
}

/// terser, which minifies the loader and the wasm-bindgen glue (a third off their brotli size).
pub fn terser(workspace: &Workspace) -> Option<PathBuf> {
    npm_tool(workspace, "terser@5.51.4", ".bin/terser")
}

/// The TypeScript compiler, which checks the embed's declarations (`widget/loader/cuecard.d.ts`).
pub fn typescript(workspace: &Workspace) -> anyhow::Result<PathBuf> {
    npm_tool(workspace, "typescript@5.9.3", "typescript/bin/tsc").ok_or_else(|| {
        anyhow::anyhow!("the embed's type declarations are checked with TypeScript from npm: install npm")
    })
}

/// axe-core, the accessibility rules engine the browser suite runs.
pub fn axe_core(workspace: &Workspace) -> anyhow::Result<PathBuf> {
    npm_tool(workspace, "axe-core@4.10.3", "axe-core/axe.min.js").ok_or_else(|| {
        anyhow::anyhow!("the accessibility tests need axe-core from npm: install npm (apt-get install npm)")
    })
}

/// Schemathesis (from PyPI, into a virtual environment under target/tools), which fuzzes the
/// service against its own OpenAPI document.
pub fn schemathesis(workspace: &Workspace) -> anyhow::Result<PathBuf> {
    const VERSION: &str = "4.32.5";
    let venv = workspace.tools_dir().join(format!("schemathesis-{VERSION}"));
    let program = venv.join("bin/st");
    if program.is_file() {
        return Ok(program);
    }
    let python = which("python3").context("the API fuzz run needs python3 (apt-get install python3 python3-venv)")?;
    eprintln!("installing schemathesis {VERSION} from PyPI into {}", venv.display());
    let created = Command::new(&python).args(["-m", "venv"]).arg(&venv).status().is_ok_and(|status| status.success());
    if !created {
        bail!("python3 -m venv failed: install python3-venv (apt-get install python3-venv)");
    }
    let installed = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", &format!("schemathesis=={VERSION}")])
        .status()
        .is_ok_and(|status| status.success());
    if !installed || !program.is_file() {
        let _ = std::fs::remove_dir_all(&venv);
        bail!("installing schemathesis {VERSION} from PyPI failed");
    }
    Ok(program)
}

/// The PostgreSQL server the tests and the PostgreSQL benchmark use: `CUECARD_TEST_POSTGRES_URL`
/// if set, else the local one on 127.0.0.1:5432, started here (`pg_ctlcluster … start`) if it
/// is installed but not running.
pub fn postgres() -> anyhow::Result<String> {
    if let Ok(url) = std::env::var("CUECARD_TEST_POSTGRES_URL") {
        return Ok(url);
    }
    let address: std::net::SocketAddr = ([127, 0, 0, 1], 5432).into();
    let listening = || std::net::TcpStream::connect_timeout(&address, std::time::Duration::from_secs(1)).is_ok();
    if !listening() {
        let versions: Vec<String> = std::fs::read_dir("/etc/postgresql")
            .map(|entries| entries.flatten().map(|entry| entry.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        for version in &versions {
            eprintln!("starting PostgreSQL {version}: pg_ctlcluster --skip-systemctl-redirect {version} main start");
            let _ =
                Command::new("pg_ctlcluster").args(["--skip-systemctl-redirect", version, "main", "start"]).status();
        }
        for _ in 0..30 {
            if listening() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
        if !listening() {
            bail!(
                "the tests need PostgreSQL: none listens on 127.0.0.1:5432 and none could be started (installed: \
                 {versions:?}); start one (trust auth for user postgres, database test) or point \
                 CUECARD_TEST_POSTGRES_URL at one"
            );
        }
    }
    Ok("postgres://postgres@127.0.0.1:5432/test".to_owned())
}
