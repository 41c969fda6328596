//! Minifies `src/style.css` into `OUT_DIR`: comments and indentation would otherwise ride along in
//! every download of the wasm. Conservative on purpose: it drops comments, collapses whitespace,
//! removes spaces only where CSS never needs them (after `:`, around `{ } ; ,`), the `;` before
//! a `}` and the `0` before a decimal point.

fn main() {
    println!("cargo::rerun-if-changed=src/style.css");
    let css = std::fs::read_to_string("src/style.css").expect("widget/src/style.css is readable");
    let mut without_comments = String::with_capacity(css.len());
    let mut rest = css.as_str();
    while let Some(start) = rest.find("/*") {
        without_comments.push_str(&rest[..start]);
        rest = rest[start + 2..].split_once("*/").map_or("", |(_, after)| after);
    }
    without_comments.push_str(rest);
    let collapsed = without_comments.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut minified = String::with_capacity(collapsed.len());
    let bytes: Vec<char> = collapsed.chars().collect();
    for (index, character) in bytes.iter().enumerate() {
        if *character == ' ' {
            let before = index.checked_sub(1).map(|previous| bytes[previous]);
            let after = bytes.get(index + 1);
            let needless =
                matches!(before, Some('{' | '}' | ';' | ',' | ':')) || matches!(after, Some('{' | '}' | ';' | ','));
            if needless {
                continue;
            }
        }
        minified.push(*character);
    }
    // The last declaration of a block needs no `;`, and `0.5` is `.5`.
    let minified = minified.replace(";}", "}").replace(":0.", ":.").replace(",0.", ",.").replace(" 0.", " .");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("style.min.css");
    std::fs::write(out, minified).expect("OUT_DIR is writable");
}
