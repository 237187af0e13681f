//! `metrics`: a query file a user adds lands as long-format rows, without code changes.

use std::collections::BTreeMap;

use arrow_array::{Array, Float64Array, Int64Array, StringArray};
use ccetl::plan::WriteMode;
use ccetl::sim::SimConfig;
use ccetl::sources::genesys::queries::metrics_queries;
use ccetl::transform::Dataset;
use chrono_tz::Tz;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::util::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_query_file_produces_metrics_rows() {
    let sim = sim(SimConfig {
        seed: 31,
        ..SimConfig::default()
    })
    .await;
    let queries = tempfile::tempdir().unwrap();
    // A user's own query: daily totals per media type, with a filter.
    std::fs::write(
        queries.path().join("voice_and_chat_daily.json"),
        r#"{"granularity": "P1D", "groupBy": ["mediaType"], "metrics": ["nOffered", "tHandle", "tAbandon"],
            "filter": {"type": "or", "predicates": [{"dimension": "mediaType", "value": "voice"}, {"dimension": "mediaType", "value": "chat"}]}}"#,
    )
    .unwrap();
    let mut settings = settings(&sim, fast_http());
    settings.queries.metrics = metrics_queries(Some(queries.path())).unwrap();
    assert_eq!(settings.queries.metrics.len(), 1);
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-09", "2026-11-10");
    let summary = run(plan_for(
        settings,
        out.path(),
        days.clone(),
        Tz::UTC,
        2,
        WriteMode::Replace,
        vec![Dataset::Metrics],
    ))
    .await;
    assert_eq!(
        (summary.written, summary.failed.len()),
        (2, 0),
        "{summary:?}"
    );

    for day in &days {
        let file = dataset_dir(out.path(), "metrics", "test", *day).join("part-00000.zstd.parquet");
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap())
            .unwrap()
            .build()
            .unwrap();
        // (media, metric) -> (count, sum)
        let mut landed: BTreeMap<(String, String), (i64, Option<f64>)> = BTreeMap::new();
        for batch in reader {
            let b = batch.unwrap();
            let s = |n: &str| {
                b.column_by_name(n)
                    .unwrap()
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .unwrap()
                    .clone()
            };
            let count = b
                .column_by_name("count")
                .unwrap()
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .clone();
            let sum = b
                .column_by_name("sum")
                .unwrap()
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .clone();
            for i in 0..b.num_rows() {
                assert_eq!(s("query").value(i), "voice_and_chat_daily");
                let key = (
                    s("media_type").value(i).to_string(),
                    s("metric").value(i).to_string(),
                );
                landed.insert(
                    key,
                    (count.value(i), (!sum.is_null(i)).then(|| sum.value(i))),
                );
            }
        }
        let conversations = sim.generator().conversations_on(*day);
        for media in ["voice", "chat"] {
            let of_media: Vec<_> = conversations
                .iter()
                .filter(|c| c.media_type == media)
                .collect();
            let answered: Vec<_> = of_media.iter().filter(|c| c.agent.is_some()).collect();
            let abandoned: Vec<_> = of_media.iter().filter(|c| c.abandoned).collect();
            assert_eq!(
                landed[&(media.into(), "nOffered".into())],
                (of_media.len() as i64, None)
            );
            let handle_ms: u64 = answered.iter().map(|c| c.handle_ms()).sum();
            assert_eq!(
                landed[&(media.into(), "tHandle".into())],
                (answered.len() as i64, Some(handle_ms as f64 / 1000.0))
            );
            let abandon_ms: u64 = abandoned.iter().map(|c| c.wait_ms).sum();
            assert_eq!(
                landed[&(media.into(), "tAbandon".into())],
                (abandoned.len() as i64, Some(abandon_ms as f64 / 1000.0))
            );
        }
        assert!(
            !landed.keys().any(|(m, _)| m == "email"),
            "the filter applies"
        );
    }
}
