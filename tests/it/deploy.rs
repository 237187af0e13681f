//! The recipes in `deploy/`, checked as far as this machine allows: no Docker or Kubernetes here,
//! so the manifests are parsed (PyYAML) and checked for what makes the recipe work, the embedded
//! configuration is planned by the real binary (`--dry-run`: nothing fetched), the Dockerfile's
//! build is the README's, and the Airflow DAG compiles.

use std::path::Path;
use std::process::Command;

use super::util::*;

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn the_dockerfile_builds_what_the_readme_builds_and_runs_as_nobody_root() {
    let docker = std::fs::read_to_string(repo("deploy/Dockerfile")).unwrap();
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let build = "cargo build --release --locked --no-default-features";
    assert!(docker.contains(&format!("RUN {build}")), "{docker}");
    assert!(readme.contains(build), "README names the production build");
    let runtime = docker.rsplit("\nFROM ").next().unwrap();
    assert!(!runtime.contains("cargo") || runtime.contains("COPY --from=build"));
    assert!(runtime.contains("USER 10001") && runtime.contains("ca-certificates"));
    assert!(!runtime.contains("build-essential") && !runtime.contains("rustup"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kubernetes_cronjob_runs_one_shard_per_index_with_secrets_from_a_secret() {
    let Some(python) = python("current") else {
        eprintln!("skipped: target/py/current is missing (bash .ci/run makes it)");
        return;
    };
    let script = format!(
        r#"
import json, yaml
docs = list(yaml.safe_load_all(open("{path}")))
config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]["ccetl.toml"]
job = next(d for d in docs if d["kind"] == "CronJob")["spec"]["jobTemplate"]["spec"]
pod = job["template"]["spec"]
c = pod["containers"][0]
env = {{e["name"]: e for e in c["env"]}}
print(json.dumps({{
  "config": config, "mode": job["completionMode"], "completions": job["completions"],
  "parallelism": job["parallelism"], "shard": env["CCETL_SHARD"]["value"],
  "index": env["SHARD_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"],
  "secret": [e["secretRef"]["name"] for e in c.get("envFrom", [])],
  "non_root": pod["securityContext"]["runAsNonRoot"], "restart": pod["restartPolicy"],
}}))
"#,
        path = repo("deploy/kubernetes/cronjob.yaml").display()
    );
    let output = Command::new(&python)
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let k: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(k["mode"], "Indexed");
    assert_eq!(k["completions"], k["parallelism"]);
    assert_eq!(
        k["shard"],
        format!("$(SHARD_INDEX)/{}", k["completions"]),
        "N in CCETL_SHARD is the number of completions"
    );
    assert_eq!(
        k["index"],
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    );
    assert_eq!(k["secret"], serde_json::json!(["ccetl-credentials"]));
    assert_eq!(
        (k["non_root"].as_bool(), k["restart"].as_str()),
        (Some(true), Some("Never"))
    );
    // It writes to a bucket, with no volume to write to.
    let config_text = k["config"].as_str().unwrap();
    assert!(
        config_text.contains("url = \"s3://"),
        "the output is a bucket: {config_text}"
    );
    // The configuration it mounts plans, every shard of it (nothing fetched, no token; the
    // output overridden by a local folder: no test talks to anything but loopback).
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ccetl.toml");
    std::fs::write(&config, k["config"].as_str().unwrap()).unwrap();
    let n = k["completions"].as_u64().unwrap();
    let mut planned = Vec::new();
    for index in 0..n {
        let mut cmd = <Command as assert_cmd::cargo::CommandCargoExt>::cargo_bin("ccetl").unwrap();
        cmd.current_dir(dir.path())
            .env_remove("RUST_LOG")
            .env("CCETL_SHARD", format!("{index}/{n}"))
            .args([
                "--config",
                config.to_str().unwrap(),
                "run",
                "--dry-run",
                "--output",
            ])
            .arg(dir.path().join("out"));
        for var in [
            "GENESYS_ACME_CLIENT_ID",
            "GENESYS_ACME_CLIENT_SECRET",
            "CXONE_GLOBEX_CLIENT_ID",
            "CXONE_GLOBEX_CLIENT_SECRET",
            "CXONE_GLOBEX_ACCESS_KEY_ID",
            "CXONE_GLOBEX_ACCESS_KEY_SECRET",
        ] {
            cmd.env(var, "placeholder");
        }
        cmd.env(
            "CCETL_PSEUDONYMIZE_KEY",
            "a-placeholder-key-of-a-decent-length-0123456789",
        );
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let shown = String::from_utf8_lossy(&out.stdout).to_string();
        let line = shown
            .lines()
            .find(|l| l.starts_with(&format!("shard {index}/{n}: ")))
            .unwrap_or_else(|| panic!("{shown}"))
            .to_string();
        planned.extend(
            line.split_once(": ")
                .unwrap()
                .1
                .split(", ")
                .filter(|s| s.contains('.'))
                .map(str::to_string),
        );
    }
    planned.sort();
    assert_eq!(
        planned,
        ["cxone.globex", "genesys.acme"],
        "each source in one shard"
    );
}

/// The Kubernetes manifests against the API's own JSON schemas (`kubernetes-validate` from PyPI,
/// schemas bundled: nothing downloaded), strictly: an unknown field fails, as a mistyped one in
/// a copy shows.
#[test]
fn the_kubernetes_manifests_pass_a_strict_schema_check() {
    let Some(python) = python("current") else {
        eprintln!("skipped: target/py/current is missing (bash .ci/run makes it)");
        return;
    };
    let validate = |path: &Path| {
        Command::new(&python)
            .args(["-m", "kubernetes_validate", "--strict", "-k", "1.31"])
            .arg(path)
            .output()
            .unwrap()
    };
    let manifest = repo("deploy/kubernetes/cronjob.yaml");
    let checked = validate(&manifest);
    let said = text(&checked);
    assert_eq!(checked.status.code(), Some(0), "{said}");
    assert!(
        said.contains("passed for resource cronjob/ccetl-nightly")
            && said.contains("passed for resource configmap/ccetl-config"),
        "{said}"
    );
    let dir = tempfile::tempdir().unwrap();
    let mistyped = dir.path().join("cronjob.yaml");
    let original = std::fs::read_to_string(&manifest).unwrap();
    let broken = original.replacen("completionMode:", "completionMod:", 1);
    assert_ne!(broken, original);
    std::fs::write(&mistyped, broken).unwrap();
    let refused = validate(&mistyped);
    assert_ne!(refused.status.code(), Some(0), "{}", text(&refused));
    assert!(
        text(&refused).contains("completionMod"),
        "{}",
        text(&refused)
    );
}

#[test]
fn the_cron_systemd_and_airflow_recipes_run_ccetl_run() {
    let crontab = std::fs::read_to_string(repo("deploy/cron/crontab")).unwrap();
    let line = crontab
        .lines()
        .find(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .expect("a schedule line");
    assert_eq!(line.split_whitespace().take(5).count(), 5, "{line}");
    assert!(
        line.contains("ccetl --config") && line.contains(" run"),
        "{line}"
    );
    let service = std::fs::read_to_string(repo("deploy/systemd/ccetl.service")).unwrap();
    assert!(service.contains("ExecStart=/usr/local/bin/ccetl run"));
    assert!(service.contains("Type=oneshot") && service.contains("User=ccetl"));
    let timer = std::fs::read_to_string(repo("deploy/systemd/ccetl.timer")).unwrap();
    assert!(timer.contains("OnCalendar=") && timer.contains("WantedBy=timers.target"));
    let dag = repo("deploy/airflow/ccetl_dag.py");
    let source = std::fs::read_to_string(&dag).unwrap();
    assert!(source.contains("--shard {k}/{SHARDS}"));
    let compiled = Command::new("python3")
        .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())"])
        .arg(&dag)
        .output()
        .unwrap();
    assert!(
        compiled.status.success(),
        "{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
}
