//! The widget's weight over the wire, checked against its budget on every test run.

mod support;

use std::io::Write as _;

/// Budgets in bytes after brotli (quality 11), what a browser downloads: 4.5 KB (the loader carries
/// the widget's stylesheet and launcher, so the launcher shows before any wasm) and 100 KB, in
/// decimal kilobytes, the stricter reading.
const LOADER_BUDGET: usize = 4_500;
const TOTAL_BUDGET: usize = 100_000;

fn brotli(bytes: &[u8]) -> usize {
    let mut output = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut output, &params).unwrap();
    output.len()
}

fn gzip(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap().len()
}

/// The file names the loader imports, which the build content-hashed.
fn referenced(loader: &str, extension: &str) -> String {
    let end = loader.find(extension).unwrap_or_else(|| panic!("the loader names no {extension} file"));
    let start = loader[..end].rfind('"').unwrap() + 1;
    loader[start..end + extension.len()].to_owned()
}

#[test]
fn the_widget_fits_its_payload_budget() {
    let dir = support::widget_dir();
    let loader = std::fs::read_to_string(dir.join("cuecard.js")).unwrap();
    let glue = referenced(&loader, ".js\"").trim_end_matches('"').to_owned();
    let wasm = referenced(&loader, ".wasm");
    assert!(glue.starts_with("cuecard-") && wasm.starts_with("cuecard-"), "hashed names: {glue}, {wasm}");

    let mut total = 0;
    println!("{:<28} {:>8} {:>8} {:>8}", "file", "raw", "gzip", "brotli");
    for name in ["cuecard.js", glue.as_str(), wasm.as_str()] {
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|error| panic!("{name}: {error}"));
        let compressed = brotli(&bytes);
        println!("{name:<28} {:>8} {:>8} {:>8}", bytes.len(), gzip(&bytes), compressed);
        if name == "cuecard.js" {
            assert!(compressed <= LOADER_BUDGET, "the loader is {compressed} B brotli, over {LOADER_BUDGET}");
        }
        total += compressed;
    }
    println!("{:<28} {:>8} {:>8} {total:>8}", "total", "", "");
    assert!(total <= TOTAL_BUDGET, "the widget is {total} B brotli, over its {TOTAL_BUDGET} B budget");
}
