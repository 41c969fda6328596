//! Resolution, hotspots (`field_help`) and search on synthetic sites of 1k to 1M snippets.
//! `cargo bench -p engine --features synthetic` (or `cargo xtask bench`, which also loads the
//! service). Criterion prints time per call; compare sizes within one run.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use engine::{SearchIndex, SiteIndex, SiteSettings, synthetic};
use std::hint::black_box;
use std::time::{Duration, Instant};

const SEED: u64 = 7;

fn sizes() -> Vec<usize> {
    // CUECARD_BENCH_SIZES=1000,10000 narrows a run.
    std::env::var("CUECARD_BENCH_SIZES")
        .ok()
        .map(|sizes| sizes.split(',').filter_map(|size| size.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000, 1_000_000])
}

fn site(size: usize) -> SiteIndex {
    let started = Instant::now();
    let mut builder = SiteIndex::builder(SiteSettings { default_locale: engine::Locale::parse("en").unwrap() });
    for snippet in synthetic::engine_snippets(size, SEED) {
        builder.add(snippet).unwrap();
    }
    let index = builder.build();
    eprintln!("site of {size} snippets built in {:.2?}", started.elapsed());
    index
}

fn benches(criterion: &mut Criterion) {
    let mut resolve = criterion.benchmark_group("resolve");
    resolve.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    let mut search_sites = Vec::new();
    for size in sizes() {
        let index = site(size);
        let contexts = synthetic::contexts(512, size, SEED);
        let matched: usize = contexts.iter().map(|context| index.resolve(context, 0).len()).sum();
        eprintln!("  {:.1} matches per context", matched as f64 / contexts.len() as f64);
        let mut next = 0;
        resolve.bench_with_input(BenchmarkId::from_parameter(size), &index, |bencher, index| {
            bencher.iter(|| {
                next = (next + 1) % contexts.len();
                black_box(index.resolve(&contexts[next], 0).len())
            });
        });
        search_sites.push((size, index));
    }
    resolve.finish();

    // Hotspots: one page's keys (32, gathered from several focus chains) at a time.
    let mut field_help = criterion.benchmark_group("field_help_32_keys");
    field_help.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    for (size, index) in &search_sites {
        let pages: Vec<engine::Context> = synthetic::contexts(512, *size, SEED)
            .chunks(16)
            .map(|chunk| {
                let mut keys: Vec<String> = chunk.iter().flat_map(|context| context.keys.iter().cloned()).collect();
                keys.dedup();
                keys.truncate(32);
                engine::Context { keys, ..chunk[0].clone() }
            })
            .collect();
        let mut next = 0;
        field_help.bench_with_input(BenchmarkId::from_parameter(size), index, |bencher, index| {
            bencher.iter(|| {
                next = (next + 1) % pages.len();
                black_box(index.field_help(&pages[next], 0).len())
            });
        });
    }
    field_help.finish();

    let mut search = criterion.benchmark_group("search");
    search.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    for (size, index) in &search_sites {
        let started = Instant::now();
        let search_index = SearchIndex::build(index).unwrap();
        eprintln!("search index of {size} snippets built in {:.2?}", started.elapsed());
        let contexts = synthetic::contexts(512, *size, SEED);
        let queries = synthetic::queries(512, SEED);
        let mut next = 0;
        search.bench_with_input(BenchmarkId::from_parameter(size), index, |bencher, index| {
            bencher.iter(|| {
                next = (next + 1) % queries.len();
                black_box(search_index.search(index, &queries[next], &contexts[next], 0, 10).unwrap().len())
            });
        });
    }
    search.finish();
}

criterion_group!(engine_benches, benches);
criterion_main!(engine_benches);
