//! Benchmarks only: `cargo bench -p migsim-bench`.
