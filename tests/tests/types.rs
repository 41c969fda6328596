//! The embed's TypeScript declarations (`widget/loader/cuecard.d.ts`, served beside the loader)
//! compile, strictly, and describe the API: the calls a React app makes type-check, and mistakes
//! (an unknown command, a number as route, a handler for an event that does not exist) do not.

mod support;

use std::path::Path;

/// Compiles `usage` against the declarations with `tsc --strict`; the compiler's output on failure.
fn compile(usage: &str) -> Result<(), String> {
    let tsc = std::env::var("CUECARD_TSC").unwrap_or_else(|_| {
        support::repository_root().join("target/tools/node_modules/typescript/bin/tsc").to_string_lossy().into_owned()
    });
    assert!(Path::new(&tsc).is_file(), "TypeScript not found at {tsc}: run `cargo xtask test`");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(support::repository_root().join("widget/loader/cuecard.d.ts"), dir.path().join("cuecard.d.ts"))
        .unwrap();
    std::fs::write(dir.path().join("usage.ts"), usage).unwrap();
    let output = std::process::Command::new("node")
        .arg(&tsc)
        .args(["--noEmit", "--strict", "--target", "es2022", "--lib", "es2022,dom", "--module", "es2022"])
        .arg(dir.path().join("usage.ts"))
        .output()
        .expect("node runs tsc");
    if output.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&output.stdout).into_owned()) }
}

const HEADER: &str = "import type { Cuecard, CuecardContext } from './cuecard';\n";

#[test]
fn the_documented_calls_type_check() {
    let usage = format!(
        "{HEADER}
window.Cuecard ??= Object.assign(function () {{ (window.Cuecard!.q ??= []).push(arguments); }} as Cuecard, {{}});
const context: CuecardContext = {{ route: '/approvals/:id', roles: ['approver'], locale: 'fr-CA', appVersion: '2.3.1' }};
window.Cuecard?.('setContext', context);
window.Cuecard?.('setContext', {{ route: null, roles: 'approver,employee', keys: [] }});
window.Cuecard?.('open');
window.Cuecard?.('show', 42);
const onFeedback = (detail: {{ snippet: number; helpful: boolean }}) => console.log(detail.snippet, detail.helpful);
window.Cuecard?.('on', 'feedback', onFeedback);
window.Cuecard?.('off', 'feedback', onFeedback);
window.Cuecard?.('on', 'open', () => undefined);
window.Cuecard?.('shutdown');
"
    );
    compile(&usage).unwrap_or_else(|errors| panic!("the README's calls do not type-check:\n{errors}"));
}

#[test]
fn mistakes_do_not_type_check() {
    for mistake in [
        "window.Cuecard?.('setContext', { route: 42 });",
        "window.Cuecard?.('setContext', { role: 'approver' });",
        "window.Cuecard?.('opne');",
        "window.Cuecard?.('show', 'vat-number');",
        "window.Cuecard?.('on', 'feedback', (detail: { snippet: string }) => detail);",
        "window.Cuecard?.('on', 'clicked', () => undefined);",
    ] {
        assert!(compile(&format!("{HEADER}{mistake}\n")).is_err(), "compiles, but should not: {mistake}");
    }
}
