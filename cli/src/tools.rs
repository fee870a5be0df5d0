//! `tongchou demo` and `tongchou bench …`: the tools of the `devtools` crate.

use anyhow::bail;

use crate::cli::{BenchArgs, DemoArgs};
use crate::out::Out;

/// `tongchou demo`: the four-city network, with the TUI or `--headless`.
pub(crate) async fn demo(out: &Out, a: DemoArgs) -> anyhow::Result<()> {
    devtools::demo::run(a.headless, out.json, a.keep, a.role == "operator", out.zh).await
}

/// `tongchou bench net | scale | radicale | tui`.
pub(crate) async fn bench(out: &Out, a: BenchArgs) -> anyhow::Result<()> {
    let BenchArgs {
        what,
        full,
        throughput_only,
        catchup,
        quotas,
        bookings,
        scale_role,
        sealed,
        by_message,
        seeds,
        from_seed,
        nodes,
        rate,
        minutes,
        seconds,
    } = a;
    match what.as_str() {
        "net" => {
            let mut sizes = if full {
                devtools::bench::Sizes::full()
            } else {
                devtools::bench::Sizes::small()
            };
            if throughput_only {
                sizes.nodes.clear();
            }
            if !catchup.is_empty() {
                sizes.catchup = catchup;
            }
            sizes.quotas = quotas;
            devtools::bench::net(sizes, out.json).await
        }
        "radicale" => devtools::vs_radicale::run(full, out.json).await,
        "scale" => {
            let role = scale_role.as_deref();
            devtools::bench_scale::run(full, bookings, role, sealed, out.json).await
        }
        "trips" => devtools::bench_trips::run(full, out.json),
        "report" => devtools::bench_report::run(full, out.json),
        "chaos" => devtools::bench_chaos::run(from_seed, seeds, out.json),
        "interest" => devtools::bench_interest::run(full, by_message, out.json),
        "soak" => devtools::soak::run(nodes, rate, minutes, out.json).await,
        "flood" => devtools::flood::run(seconds, out.json).await,
        // The child processes of `flood` that hold idle connections.
        "flood-hold" => devtools::flood::hold().await,
        // The child processes of `flood` that run the rogue peers.
        "flood-rogue" => devtools::flood::rogue().await,
        "tui" => {
            println!(
                "tongchou bench tui: week grid, 200 resources, 5,000 bookings, 160x48 (target < 8 ms per frame)"
            );
            let r = tui::bench::run(200, 5_000, (160, 48), if full { 2_000 } else { 300 });
            if out.json {
                out.json(&r)?;
            } else {
                println!(
                    "week frame p50 {:.2} ms, p99 {:.2} ms · key→frame p50 {:.2} ms, p99 {:.2} ms · search key→frame p50 {:.2} ms ({} frames)",
                    r.week_frame_p50_ms,
                    r.week_frame_p99_ms,
                    r.key_to_frame_p50_ms,
                    r.key_to_frame_p99_ms,
                    r.search_key_p50_ms,
                    r.frames
                );
            }
            Ok(())
        }
        other => bail!(
            "unknown benchmark {other:?}: try `net`, `scale`, `trips`, `report`, `chaos`, `interest`, `soak`, `flood`, `radicale` or `tui` (the model benchmark is `cargo run --release -p crdt-model --features test-utils --example bench_model`)"
        ),
    }
}
