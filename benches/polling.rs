//! Polling cost: the requests per minute the service (the TUI's scheduler, with the demo's
//! backends and default intervals) sends in a world of about 1,000 pipelines, 200 running
//! executions and 20 waiting gates, per backend and kind of read, beside what the README's
//! polling formula predicts; and the bytes one read of each kind downloads, for Argo's
//! executions list also without the `fields=` projection. Prints figures; asserts nothing
//! about time.
//!
//!     cargo bench --bench polling
//!
//! The world lives in two simulators sharing one token. Harness NextGen, First Gen and
//! Infraxys come from one whose clock stands still, so every run stays where it is: what they
//! are asked does not depend on what changes, only on how much there is. Argo comes from a
//! second whose clock moves with the service's, running long workflows, because its watch
//! turns changes into reads. Everything runs on tokio's paused clock, so a simulated minute
//! of warm-up and ten measured minutes take seconds. The simulators count the requests; a
//! loopback proxy in front of each backend counts the bytes it sends back.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flightdeck::config::Config;
use flightdeck::domain::{ExecRef, ExecStatus};
use flightdeck::launch::{self, Prepared};
use flightdeck::service::{Command, Feed, Intervals, Payload, Reply, Service};
use flightdeck_sim::client_config::{TokenSource, backends_toml};
use flightdeck_sim::{ClockMode, RunStatus, STATE_PATH, SimHandle, SimOptions, SimStats};
use reqwest::Client;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

const SEED: u64 = 42;
/// The measured window starts after a minute of warm-up (every read is due once at the
/// start, and the watch lists once); the half second puts both edges between reads, which
/// fall on whole seconds.
const WINDOW_START: Duration = Duration::from_millis(60_500);
const WINDOW: Duration = Duration::from_secs(600);
const MINUTES: f64 = 10.0;

/// One project of the world: what `/_sim/state` calls it, and what it holds.
struct Project {
    /// The world's project id (a NextGen project, a First Gen application's project, an
    /// Argo namespace).
    id: &'static str,
    /// Its key in `/_sim/state`: the id, or a First Gen application's name.
    key: &'static str,
    /// Pipelines it lists; copies of `source` make up the number.
    pipelines: usize,
    /// Executions running; Harness and First Gen start `source`, Argo long workflows.
    running: usize,
    source: &'static str,
}

const fn project(
    id: &'static str,
    key: &'static str,
    pipelines: usize,
    running: usize,
    source: &'static str,
) -> Project {
    Project {
        id,
        key,
        pipelines,
        running,
        source,
    }
}

/// 600 pipelines and 100 running executions; their gates make up [`WAITING_GATES`].
const NEXT_GEN: [Project; 3] = [
    project("payments", "payments", 200, 34, "payments_api_deploy"),
    project("checkout", "checkout", 200, 33, "cart_service_deploy"),
    project("platform", "platform", 200, 33, "base_image_rebuild"),
];
/// 100 pipelines and workflows, 20 running executions, and the seeded world's gates.
const FIRST_GEN: [Project; 2] = [
    project(
        "legacy_billing",
        "Legacy Billing",
        50,
        10,
        "billing_release",
    ),
    project(
        "storefront_classic",
        "Storefront Classic",
        50,
        10,
        "catalog_reindex",
    ),
];
/// 293 WorkflowTemplates (with the cluster template and the push event the `argo` backend
/// also shows, and Infraxys's five configured entries, 1,000 pipelines in all) and 80
/// running workflows; `canary` runs make the gates up to [`ARGO_GATES`] at least (runs the
/// world starts by itself may add some).
const ARGO: [Project; 2] = [
    project("argo", "argo", 243, 60, "canary"),
    project("data", "data", 50, 20, "nightly-etl"),
];
const ARGO_GATES: usize = 5;
/// Gates waiting in the whole world.
const WAITING_GATES: usize = 20;
/// Steps of a long Argo workflow: each takes 40 to 90 s, so one runs at least 24 minutes,
/// through the settling below and the whole measurement.
const LONG_STEPS: usize = 36;
/// Simulated people abort a few runs within four minutes of their start; runs are made up
/// until none is younger than that, so all of them stay through the measurement.
const SETTLE: Duration = Duration::from_secs(241);

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let token = flightdeck_sim::new_token(SEED);
    let simulator = || {
        SimHandle::start(SimOptions {
            seed: SEED,
            clock: ClockMode::Manual,
            token: Some(token.clone()),
            ..SimOptions::default()
        })
    };
    let harness = simulator().await.expect("simulator");
    let argo = simulator().await.expect("simulator");
    // The vendors' documented limits, as a team sharing them would meet them.
    harness.set_vendor_limits(true);
    let http = Client::new();
    let argo_gates = moving_world(&argo, &http).await;
    let selected = still_world(&harness, &http, WAITING_GATES - argo_gates).await;

    // The demo's backends (`flightdeck demo` loads the same config), each behind its proxy.
    let mut endpoints = harness.endpoints();
    endpoints.argo_url = argo.argo_url();
    let config = Config::from_toml_str(
        &backends_toml(&endpoints, TokenSource::Literal(&token)),
        "the simulators' config",
    )
    .expect("config");
    let mut proxies = BTreeMap::new();
    let mut configs = config.backends;
    for b in &mut configs {
        let target = b.base_url.socket_addrs(|| None).expect("address")[0];
        let proxy = Proxy::start(target).await;
        b.base_url.set_port(Some(proxy.addr.port())).expect("port");
        proxies.insert(b.name.to_string(), proxy);
    }
    let prepare = || -> Vec<Prepared> {
        configs
            .iter()
            .map(|b| launch::prepare(b).expect("backend"))
            .collect()
    };
    let backends = prepare();
    let floors: BTreeMap<String, Duration> = backends
        .iter()
        .map(|p| (p.backend.name().to_string(), p.limits.min_interval))
        .collect();
    let (tx, rx) = mpsc::unbounded_channel();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let start = Snapshot::take(&harness, &argo, &proxies, &http).await;
    let t0 = Instant::now();
    tokio::spawn(collect(rx, t0, seen.clone()));
    let service = Service::spawn(
        backends
            .into_iter()
            .map(|p| (p.backend, p.limits))
            .collect(),
        Intervals::default(),
        tx,
    );
    // As the TUI does when the detail of an execution is open.
    service.send(
        "harness",
        Command::Select {
            exec: Some(selected.clone()),
            open: true,
        },
    );
    let mut ticks = 0;
    advance_until(&argo, t0, &mut ticks, WINDOW_START).await;
    let before = Snapshot::take(&harness, &argo, &proxies, &http).await;
    // Every executions list so far: the Argo face remembers its last 500 requests.
    assert!(
        argo.stats().total_requests <= 500,
        "the Argo log forgot some"
    );
    let startup_lists = executions_lists(&argo);
    advance_until(&argo, t0, &mut ticks, WINDOW_START + WINDOW).await;
    let after = Snapshot::take(&harness, &argo, &proxies, &http).await;
    // One read of each kind by clients of their own, in the world as the window left it;
    // the service stops first, so the proxies count those reads alone.
    drop(service);
    let sizes = read_sizes(&prepare(), &proxies, &selected, &http, &token).await;
    let seen = seen.lock().expect("replies").clone();
    report(
        &seen,
        &startup_lists,
        &floors,
        [&start, &before, &after],
        &sizes,
        &selected,
    );
    ages_table(&seen);
    println!(
        "\n429s from the simulator's vendor limits during the run: {}",
        harness.stats().rate_limited
    );
    for kind in ["harness-fg", "harness"] {
        dashboards_that_fit(&harness, &configs, kind, &selected).await;
    }
}

/// The worst and typical data age per backend and kind over the window: the longest and the
/// median gap between two good answers (a read's data is as old as the time since the last
/// good one, at most).
fn ages_table(seen: &[Seen]) {
    let edges = WINDOW_START..WINDOW_START + WINDOW;
    println!("\ndata ages at the default budgets (median | worst gap between good reads)");
    println!("  backend      pipelines      executions     gates          detail");
    for b in BACKENDS {
        if projects_of(b).is_empty() {
            continue;
        }
        let cells: Vec<String> = KINDS
            .iter()
            .map(|kind| {
                let at: Vec<Duration> = seen
                    .iter()
                    .filter(|s| s.backend == b && s.kind == *kind && s.ok && edges.contains(&s.at))
                    .map(|s| s.at)
                    .collect();
                let mut gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
                if gaps.is_empty() {
                    return "-".to_string();
                }
                gaps.sort();
                let median = gaps[gaps.len() / 2];
                let worst = gaps[gaps.len() - 1];
                format!(
                    "{:.0} s | {:.0} s",
                    median.as_secs_f64(),
                    worst.as_secs_f64()
                )
            })
            .collect();
        println!(
            "  {b:<11}  {:<13}  {:<13}  {:<13}  {}",
            cells[0], cells[1], cells[2], cells[3]
        );
    }
}

/// How many dashboards of `kind` (independent service instances, each with its own clients
/// and budget, the default one) run side by side against one account or key with the
/// simulator enforcing the vendor's limit, before any request gets a 429: each count runs
/// four simulated minutes, the detail of a running execution open on every dashboard.
async fn dashboards_that_fit(
    sim: &SimHandle,
    configs: &[flightdeck::config::BackendConfig],
    kind: &str,
    selected: &ExecRef,
) {
    let config = configs
        .iter()
        .find(|b| b.name.to_string() == kind)
        .expect("backend");
    let mut fit = 0;
    for n in 1..=12 {
        sim.set_vendor_limits(false);
        sim.set_vendor_limits(true);
        let refused = sim.stats().rate_limited;
        let sent = sim.stats().total_requests;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut services = Vec::new();
        for _ in 0..n {
            let p = launch::prepare(config).expect("backend");
            let service = Service::spawn(
                vec![(p.backend, p.limits)],
                Intervals::default(),
                tx.clone(),
            );
            if kind == "harness" {
                service.send(
                    kind,
                    Command::Select {
                        exec: Some(selected.clone()),
                        open: true,
                    },
                );
            }
            services.push(service);
        }
        let until = Instant::now() + Duration::from_secs(240);
        loop {
            tokio::select! {
                _ = rx.recv() => {}
                _ = tokio::time::sleep_until(until) => break,
            }
        }
        drop(services);
        // Let reads in flight finish before the next count.
        tokio::time::sleep(Duration::from_secs(30)).await;
        let stats = sim.stats();
        let per_minute = (stats.total_requests - sent) as f64 / 4.5;
        let refusals = stats.rate_limited - refused;
        println!(
            "  {kind}: {n} dashboard(s): {per_minute:.0} requests a minute in all, {refusals} 429s"
        );
        if refusals > 0 {
            break;
        }
        fit = n;
    }
    println!(
        "{kind}: {fit} dashboards fit one {} before any 429",
        if kind == "harness" {
            "key (400 a minute)"
        } else {
            "account (30 a minute)"
        }
    );
    sim.set_vendor_limits(true);
}

/// Moves the Argo world on a second at a time, in step with the service's clock.
async fn advance_until(argo: &SimHandle, t0: Instant, ticks: &mut u64, until: Duration) {
    while Duration::from_secs(*ticks + 1) <= until {
        *ticks += 1;
        tokio::time::sleep_until(t0 + Duration::from_secs(*ticks)).await;
        argo.advance(Duration::from_secs(1));
    }
    tokio::time::sleep_until(t0 + until).await;
}

// ----- the world ---------------------------------------------------------------------------

/// Harness NextGen and First Gen on the still clock: pipelines copied and runs started up to
/// the targets, and NextGen gates opened or closed to `gates` in all. Returns the execution
/// the user looks at, one that runs.
async fn still_world(sim: &SimHandle, http: &Client, gates: usize) -> ExecRef {
    let world = sim.world();
    let have = census(http, &sim.harness_url()).await;
    let mut selected = None;
    for p in NEXT_GEN.iter().chain(&FIRST_GEN) {
        let c = &have[p.key];
        for i in c.pipelines..p.pipelines {
            let copy = format!("{}_{i}", p.source);
            assert!(
                world.copy_pipeline(p.id, p.source, &copy),
                "{}/{copy}",
                p.id
            );
        }
        for _ in c.running..p.running {
            let id = world.start(p.id, p.source).expect("start");
            let status = world.execution_status(&id);
            assert_eq!(status, Some(RunStatus::Running), "{}/{}", p.id, p.source);
            selected.get_or_insert(ExecRef {
                project: p.id.to_string(),
                id,
            });
        }
    }
    // More rotate_certificates runs, or fewer of the seeded gates (a lone gate in its run
    // expires, and the run with it).
    loop {
        let waiting = world.waiting_gates();
        match (waiting.len() + world.first_gen_waiting_gates().len()).cmp(&gates) {
            std::cmp::Ordering::Less => {
                world.waiting_gate().expect("gate");
            }
            std::cmp::Ordering::Greater => {
                let lone = waiting
                    .iter()
                    .find(|g| world.gates_of(&g.execution).len() == 1)
                    .expect("a lone gate");
                assert!(world.expire(&lone.approval), "expire");
            }
            std::cmp::Ordering::Equal => break,
        }
    }
    selected.expect("a NextGen run")
}

/// Argo on the moving clock: templates copied, `canary` runs waiting at their gate and long
/// workflows running up to the targets, none younger than [`SETTLE`]. Returns how many gates
/// wait.
async fn moving_world(sim: &SimHandle, http: &Client) -> usize {
    let world = sim.world();
    world.set_failures(false);
    let have = census(http, &sim.argo_url()).await;
    for p in &ARGO {
        for i in have[p.key].pipelines..p.pipelines {
            let copy = format!("{}-{i}", p.source);
            assert!(
                world.copy_pipeline(p.id, p.source, &copy),
                "{}/{copy}",
                p.id
            );
        }
    }
    // The seeded runs of the last hour end meanwhile.
    sim.advance(SETTLE);
    loop {
        let waiting = world.argo_waiting_gates().len();
        if waiting >= ARGO_GATES {
            break;
        }
        for _ in waiting..ARGO_GATES {
            world.start("argo", "canary").expect("canary");
        }
        sim.advance(SETTLE);
    }
    loop {
        let have = census(http, &sim.argo_url()).await;
        let mut started = 0;
        for p in &ARGO {
            for _ in have[p.key].running..p.running {
                submit_long(http, sim, p.id).await;
                started += 1;
            }
        }
        if started == 0 {
            return world.argo_waiting_gates().len();
        }
        sim.advance(SETTLE);
    }
}

/// Submits a workflow of [`LONG_STEPS`] steps in a row, as `argo submit` would.
async fn submit_long(http: &Client, sim: &SimHandle, namespace: &str) {
    let steps: Vec<Value> = (1..=LONG_STEPS)
        .map(|i| json!([{"name": format!("build-{i}"), "template": "build"}]))
        .collect();
    let workflow = json!({
        "metadata": {"generateName": "soak-"},
        "spec": {"entrypoint": "soak", "templates": [
            {"name": "soak", "steps": steps},
            // The simulator runs a pod template named `build` for 40 to 90 s.
            {"name": "build", "container": {"image": "golang:1.26", "command": ["make"]}},
        ]},
    });
    let response = http
        .post(format!("{}/api/v1/workflows/{namespace}", sim.argo_url()))
        .bearer_auth(sim.argo_token())
        .json(&json!({ "workflow": workflow }))
        .send()
        .await
        .expect("submit");
    let status = response.status();
    assert!(
        status.is_success(),
        "submit: {}",
        response.text().await.unwrap_or_default()
    );
}

/// What one project holds, from `GET /_sim/state`, which the request counts leave out.
#[derive(Default)]
struct Census {
    pipelines: usize,
    running: usize,
    /// For each execution waiting for a person, how many of its stages wait.
    waiting: Vec<usize>,
    gates: usize,
}

/// Every project of a simulator's face, by its key in `/_sim/state`.
async fn census(http: &Client, base: &str) -> BTreeMap<String, Census> {
    let state: Value = http
        .get(format!("{base}{STATE_PATH}"))
        .send()
        .await
        .expect("state")
        .json()
        .await
        .expect("state");
    let len = |v: &Value| v.as_array().map_or(0, Vec::len);
    let mut all = BTreeMap::new();
    for (list, key) in [
        ("projects", "id"),
        ("applications", "name"),
        ("namespaces", "name"),
    ] {
        for p in state[list].as_array().into_iter().flatten() {
            let (pipelines, executions) = if list == "namespaces" {
                // A namespace's world pipelines also stand for the cluster template and for
                // each workflow submitted with its own templates.
                let templates = p["templates"].as_array().into_iter().flatten();
                let own = |t: &&Value| {
                    t.as_str()
                        .is_some_and(|t| !t.starts_with("cluster/") && !t.starts_with("workflow/"))
                };
                (templates.filter(own).count(), &p["workflows"])
            } else {
                // First Gen applications list workflows beside their pipelines.
                (
                    len(&p["pipelines"]) + len(&p["workflows"]),
                    &p["executions"],
                )
            };
            let mut c = Census {
                pipelines,
                ..Census::default()
            };
            for e in executions.as_array().into_iter().flatten() {
                match e["status"].as_str() {
                    Some("running") => c.running += 1,
                    Some("waiting") => {
                        let gates: Vec<&Value> = e["gates"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter(|g| g["status"] == "waiting")
                            .collect();
                        let stages: BTreeSet<&str> =
                            gates.iter().filter_map(|g| g["stage"].as_str()).collect();
                        c.gates += gates.len();
                        c.waiting.push(stages.len());
                    }
                    _ => {}
                }
            }
            all.insert(p[key].as_str().unwrap_or_default().to_string(), c);
        }
    }
    all
}

// ----- bytes -------------------------------------------------------------------------------

/// A loopback TCP proxy in front of one backend, counting the bytes it sends back.
struct Proxy {
    addr: SocketAddr,
    received: Arc<AtomicU64>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy");
        let addr = listener.local_addr().expect("proxy address");
        let received = Arc::new(AtomicU64::new(0));
        let counter = received.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    // Small writes go out at once, as they would without the proxy.
                    let _ = (client.set_nodelay(true), server.set_nodelay(true));
                    let (mut from_client, mut to_client) = client.into_split();
                    let (mut from_server, mut to_server) = server.into_split();
                    let up = async {
                        let _ = tokio::io::copy(&mut from_client, &mut to_server).await;
                        let _ = to_server.shutdown().await;
                    };
                    let down = async {
                        let mut buf = vec![0; 64 * 1024];
                        while let Ok(n @ 1..) = from_server.read(&mut buf).await {
                            counter.fetch_add(n as u64, Ordering::Relaxed);
                            if to_client.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = to_client.shutdown().await;
                    };
                    tokio::join!(up, down);
                });
            }
        });
        Proxy { addr, received }
    }

    fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

/// Bytes (whole HTTP responses) one read downloads, and how many items it returned.
#[derive(Clone, Copy, Default)]
struct Weight {
    bytes: u64,
    items: usize,
}

async fn weigh(proxy: &Proxy, read: impl Future<Output = usize>) -> Weight {
    let before = proxy.received();
    let items = read.await;
    Weight {
        bytes: proxy.received() - before,
        items,
    }
}

/// One read of each kind per backend, by clients of their own, keyed by (backend, kind);
/// for Argo also the executions list without `fields=` (kind `unprojected`).
async fn read_sizes(
    backends: &[Prepared],
    proxies: &BTreeMap<String, Proxy>,
    selected: &ExecRef,
    http: &Client,
    token: &str,
) -> BTreeMap<(String, &'static str), Weight> {
    let mut sizes = BTreeMap::new();
    for p in backends {
        let (b, name) = (&p.backend, p.backend.name().to_string());
        let proxy = &proxies[&name];
        let pipelines = weigh(proxy, async {
            b.list_pipelines().await.map_or(0, |v| v.len())
        });
        sizes.insert((name.clone(), PIPELINES), pipelines.await);
        let executions = weigh(proxy, async {
            b.list_executions().await.map_or(0, |v| v.len())
        });
        sizes.insert((name.clone(), EXECUTIONS), executions.await);
        let gates = weigh(proxy, async {
            b.waiting_approvals().await.map_or(0, |v| v.len())
        });
        sizes.insert((name.clone(), GATES), gates.await);
        if name == "harness" {
            let detail = weigh(proxy, async {
                usize::from(b.execution(selected).await.is_ok())
            });
            sizes.insert((name.clone(), DETAIL), detail.await);
        }
        if let Some(namespace) = namespace_of(&name) {
            let bare = weigh(proxy, unprojected(http, proxy, namespace, token));
            sizes.insert((name.clone(), UNPROJECTED), bare.await);
        }
    }
    sizes
}

/// The executions list as the Argo client pages it (500 a page, the server counting what
/// remains), without the `fields=` projection; returns how many workflows it held.
async fn unprojected(http: &Client, proxy: &Proxy, namespace: &str, token: &str) -> usize {
    let (mut offset, mut items) = (0, 0);
    loop {
        let mut query = vec![
            (
                "listOptions.fieldSelector",
                "ext.showRemainingItemCount=true".to_string(),
            ),
            ("listOptions.limit", "500".to_string()),
        ];
        if offset > 0 {
            query.push(("listOptions.continue", offset.to_string()));
        }
        let page: Value = http
            .get(format!(
                "http://{}/api/v1/workflows/{namespace}",
                proxy.addr
            ))
            .bearer_auth(token)
            .query(&query)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("list");
        let got = page["items"].as_array().map_or(0, Vec::len);
        items += got;
        if got == 0 || page["metadata"]["remainingItemCount"].as_u64().unwrap_or(0) == 0 {
            return items;
        }
        offset += got;
    }
}

// ----- what the service did ----------------------------------------------------------------

const PIPELINES: &str = "pipelines";
const EXECUTIONS: &str = "executions";
const GATES: &str = "gates";
const DETAIL: &str = "detail";
const UNPROJECTED: &str = "unprojected";

/// One reply of the service, when it arrived.
#[derive(Clone)]
struct Seen {
    at: Duration,
    backend: String,
    kind: &'static str,
    elapsed: Duration,
    ok: bool,
    /// Executions lists: pushed by the watch (else polled; the one poll answered after the
    /// watch's first list at the start counts as pushed), with the ids waiting for a person
    /// and whether any is active.
    pushed: bool,
    waiting: BTreeSet<String>,
    active: bool,
}

async fn collect(mut rx: mpsc::UnboundedReceiver<Reply>, t0: Instant, seen: Arc<Mutex<Vec<Seen>>>) {
    let mut watching = BTreeSet::new();
    while let Some(reply) = rx.recv().await {
        let backend = reply.backend.to_string();
        let mut s = Seen {
            at: t0.elapsed(),
            backend: backend.clone(),
            kind: PIPELINES,
            elapsed: reply.elapsed,
            ok: true,
            pushed: false,
            waiting: BTreeSet::new(),
            active: false,
        };
        match reply.payload {
            Payload::Pipelines(r) => s.ok = r.is_ok(),
            Payload::Executions(r) => {
                s.kind = EXECUTIONS;
                s.ok = r.is_ok();
                s.pushed = watching.contains(&backend);
                let list = r.unwrap_or_default();
                s.active = list.iter().any(|e| e.status.status.is_active());
                s.waiting = list
                    .iter()
                    .filter(|e| e.status.status == ExecStatus::Waiting)
                    .map(|e| e.id.clone())
                    .collect();
            }
            Payload::Approvals(r) => (s.kind, s.ok) = (GATES, r.is_ok()),
            Payload::Execution(_, r) => (s.kind, s.ok) = (DETAIL, r.is_ok()),
            Payload::Feed(feed) => {
                if feed == Feed::Watching {
                    watching.insert(backend);
                } else {
                    watching.remove(&backend);
                }
                continue;
            }
            _ => continue,
        }
        seen.lock().expect("replies").push(s);
    }
}

/// The executions lists (the `fields=` projection without nodes) among the last requests the
/// Argo face recorded, by namespace.
fn executions_lists(argo: &SimHandle) -> BTreeMap<String, usize> {
    let mut lists = BTreeMap::new();
    for r in argo.argo_requests() {
        let Some(rest) = r.path.strip_prefix("/api/v1/workflows/") else {
            continue;
        };
        let Some((namespace, query)) = rest.split_once('?') else {
            continue;
        };
        let listed = query.contains("items.status.progress") && !query.contains("status.nodes");
        if r.method == "GET" && listed {
            *lists.entry(namespace.to_string()).or_default() += 1;
        }
    }
    lists
}

/// The simulators' counters, the world and the proxies' byte counts at one moment.
struct Snapshot {
    harness: SimStats,
    argo: SimStats,
    census: BTreeMap<String, Census>,
    bytes: BTreeMap<String, u64>,
}

impl Snapshot {
    async fn take(
        harness: &SimHandle,
        argo: &SimHandle,
        proxies: &BTreeMap<String, Proxy>,
        http: &Client,
    ) -> Snapshot {
        let mut census = census(http, &harness.harness_url()).await;
        census.extend(self::census(http, &argo.argo_url()).await);
        Snapshot {
            harness: harness.stats(),
            argo: argo.stats(),
            census,
            bytes: proxies
                .iter()
                .map(|(name, p)| (name.clone(), p.received()))
                .collect(),
        }
    }
}

// ----- the formula -------------------------------------------------------------------------

/// A route as the simulators count it: (method, path template).
type Route = (&'static str, &'static str);
const NG_PIPELINES: Route = ("POST", "/pipeline/api/pipelines/list");
const NG_SUMMARY: Route = ("POST", "/pipeline/api/pipelines/execution/summary");
const NG_APPROVALS: Route = (
    "GET",
    "/v1/orgs/{org}/projects/{project}/approvals/execution/{executionId}",
);
const NG_GRAPH: Route = (
    "GET",
    "/pipeline/api/pipelines/execution/v2/{planExecutionId}",
);
const FG_GRAPHQL: Route = ("POST", "/gateway/api/graphql");
const ARGO_TEMPLATES: Route = ("GET", "/api/v1/workflow-templates/{namespace}");
const ARGO_CLUSTER: Route = ("GET", "/api/v1/cluster-workflow-templates");
const ARGO_WORKFLOWS: Route = ("GET", "/api/v1/workflows/{namespace}");

const BACKENDS: [&str; 5] = ["harness", "harness-fg", "argo", "argo-data", "infraxys"];
const KINDS: [&str; 4] = [PIPELINES, EXECUTIONS, GATES, DETAIL];

fn projects_of(backend: &str) -> &'static [Project] {
    match backend {
        "harness" => &NEXT_GEN,
        "harness-fg" => &FIRST_GEN,
        "argo" => &ARGO[..1],
        "argo-data" => &ARGO[1..],
        _ => &[],
    }
}

fn namespace_of(backend: &str) -> Option<&'static str> {
    backend
        .starts_with("argo")
        .then(|| projects_of(backend)[0].id)
}

/// The requests one read of `kind` sends in this world, by route: the clients' tables of
/// what each operation sends (`src/backend/*.rs`), with the pages and the waiting
/// executions of the world.
fn cost(backend: &str, kind: &str, census: &BTreeMap<String, Census>) -> Vec<(Route, f64)> {
    let pages = |n: usize, size: usize| n.div_ceil(size).max(1) as f64;
    let each = |f: &dyn Fn(&Census) -> f64| -> f64 {
        projects_of(backend).iter().map(|p| f(&census[p.key])).sum()
    };
    match (backend, kind) {
        ("harness", PIPELINES) => vec![(NG_PIPELINES, each(&|c| pages(c.pipelines, 100)))],
        ("harness", EXECUTIONS) => vec![(NG_SUMMARY, NEXT_GEN.len() as f64)],
        // Per project the waiting executions, 50 a page; per execution its gates, and the
        // graph of each stage waiting, for the step names.
        ("harness", GATES) => vec![
            (NG_SUMMARY, each(&|c| pages(c.waiting.len(), 50))),
            (NG_APPROVALS, each(&|c| c.waiting.len() as f64)),
            (NG_GRAPH, each(&|c| c.waiting.iter().sum::<usize>() as f64)),
        ],
        // The selected execution runs: no gate of its own to look up.
        ("harness", DETAIL) => vec![(NG_GRAPH, 1.0)],
        // Every application with up to 100 pipelines and 100 workflows in one request.
        ("harness-fg", PIPELINES | EXECUTIONS) => vec![(FG_GRAPHQL, 1.0)],
        // The paused executions of every application, then the gates of up to 25 of them
        // in one document (none when nothing is paused).
        ("harness-fg", GATES) => {
            let paused = each(&|c| c.waiting.len() as f64) as usize;
            vec![(FG_GRAPHQL, 1.0 + paused.div_ceil(25) as f64)]
        }
        ("argo" | "argo-data", PIPELINES) => {
            let mut routes = vec![(ARGO_TEMPLATES, each(&|c| pages(c.pipelines, 500)))];
            if backend == "argo" {
                routes.push((ARGO_CLUSTER, 1.0));
            }
            routes
        }
        // The Running workflows with their nodes (a suspended one runs too), 500 a page.
        ("argo" | "argo-data", GATES) => vec![(
            ARGO_WORKFLOWS,
            each(&|c| pages(c.running + c.waiting.len(), 500)),
        )],
        _ => Vec::new(),
    }
}

/// Gate reads the schedule's rule asks for, replayed over the executions lists a backend
/// delivered, reads taking no time: one at the start, then every L after the last, at once
/// when the set of waiting executions changes, and on a pushed change at least R after the
/// last one that asked.
fn replay_gates(lists: &[&Seen], i: Intervals, end: Duration) -> Vec<Duration> {
    let mut reads = vec![Duration::ZERO];
    let mut next = i.lists;
    let (mut waiting, mut poked) = (BTreeSet::new(), None::<Duration>);
    for s in lists {
        while next <= s.at {
            reads.push(next);
            next += i.lists;
        }
        let pushed = s.pushed && poked.is_none_or(|p| s.at - p >= i.running);
        if pushed {
            poked = Some(s.at);
        }
        let changed = s.waiting != waiting;
        if changed {
            waiting.clone_from(&s.waiting);
        }
        if pushed || changed {
            reads.push(s.at);
            next = s.at + i.lists;
        }
    }
    while next < end {
        reads.push(next);
        next += i.lists;
    }
    reads
}

/// Reads of each kind in the window: (predicted by the formula, measured, mean duration).
struct Reads {
    predicted: f64,
    measured: usize,
    d: Duration,
}

fn reads(seen: &[Seen], backend: &str, kind: &str, floor: Duration, watched: bool) -> Reads {
    let i = Intervals::default().at_least(floor);
    let edges = WINDOW_START..WINDOW_START + WINDOW;
    let mine: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.backend == backend && s.kind == kind && s.ok)
        .collect();
    let polled: Vec<&&Seen> = mine
        .iter()
        .filter(|s| edges.contains(&s.at) && !s.pushed)
        .collect();
    let d = polled.iter().map(|s| s.elapsed).sum::<Duration>() / polled.len().max(1) as u32;
    let every = |period: Duration| WINDOW.as_secs_f64() / (period + d).as_secs_f64();
    let active = mine.iter().any(|s| edges.contains(&s.at) && s.active);
    let predicted = match kind {
        PIPELINES => every(i.lists * 6),
        EXECUTIONS if watched => 0.0,
        EXECUTIONS if active => every(i.running),
        EXECUTIONS => every(i.lists),
        GATES => {
            let lists: Vec<&Seen> = seen
                .iter()
                .filter(|s| s.backend == backend && s.kind == EXECUTIONS && s.ok)
                .collect();
            let replayed = replay_gates(&lists, i, edges.end);
            replayed.iter().filter(|t| edges.contains(*t)).count() as f64
        }
        DETAIL if backend == "harness" => every(i.selected),
        _ => 0.0,
    };
    Reads {
        predicted,
        measured: polled.len(),
        d,
    }
}

// ----- the report --------------------------------------------------------------------------

fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => format!("{:.2} MB", bytes as f64 / 1e6),
    }
}

fn per_minute(n: f64) -> String {
    format!("{:.1}", n / MINUTES)
}

fn report(
    seen: &[Seen],
    startup_lists: &BTreeMap<String, usize>,
    floors: &BTreeMap<String, Duration>,
    snapshots: [&Snapshot; 3],
    sizes: &BTreeMap<(String, &'static str), Weight>,
    selected: &ExecRef,
) {
    println!(
        "polling cost over {MINUTES} simulated minutes after one of warm-up; default intervals \
         L = 10 s, R = 3 s, S = 1 s (First Gen: none under 12 s)"
    );
    println!(
        "formula (README, Polling): executions every R while any listed one is active, else \
         every L, not at all while a watch pushes them; gates every L, at once when the set of \
         waiting executions changes, and on a pushed change at most every R; pipelines every \
         6 L; the selected execution every S while active and its detail open; each period \
         counted from the end of the last read (+ d)"
    );
    world(snapshots, sizes, selected);
    let predicted = reads_table(seen, floors);
    requests_table(startup_lists, &predicted, snapshots);
    bytes_table(snapshots, sizes);
}

fn world(
    [_, before, after]: [&Snapshot; 3],
    sizes: &BTreeMap<(String, &'static str), Weight>,
    selected: &ExecRef,
) {
    println!("\nworld at the start of the window (at its end, where different):");
    println!("  backend      pipelines  running  gates  in executions");
    let (mut pipelines, mut running, mut gates) = (0, 0, 0);
    for b in BACKENDS {
        let listed = sizes[&(b.to_string(), PIPELINES)].items;
        pipelines += listed;
        let sum = |snap: &Snapshot, f: &dyn Fn(&Census) -> usize| -> usize {
            projects_of(b).iter().map(|p| f(&snap.census[p.key])).sum()
        };
        let both = |f: &dyn Fn(&Census) -> usize| match (sum(before, f), sum(after, f)) {
            (x, y) if x == y => format!("{x}"),
            (x, y) => format!("{x} ({y})"),
        };
        running += sum(before, &|c| c.running);
        gates += sum(before, &|c| c.gates);
        if projects_of(b).is_empty() {
            println!("  {b:<11}  {listed:>9}  entries of its config; no API lists or reads runs");
            continue;
        }
        println!(
            "  {b:<11}  {listed:>9}  {:>7}  {:>5}  {:>5}",
            both(&|c| c.running),
            both(&|c| c.gates),
            both(&|c| c.waiting.len()),
        );
    }
    println!("  total        {pipelines:>9}  {running:>7}  {gates:>5}");
    println!(
        "  the detail of harness {}/{} is open, running: it is read every S",
        selected.project, selected.id
    );
}

/// Prints reads per minute per backend and kind; returns the formula's reads in the window.
fn reads_table(
    seen: &[Seen],
    floors: &BTreeMap<String, Duration>,
) -> BTreeMap<(String, &'static str), f64> {
    let edges = WINDOW_START..WINDOW_START + WINDOW;
    let mut predicted = BTreeMap::new();
    let mut rows = Vec::new();
    let mut longest = Duration::ZERO;
    for b in BACKENDS {
        let pushes = seen
            .iter()
            .filter(|s| s.backend == b && edges.contains(&s.at) && s.pushed)
            .count();
        let mut cells = Vec::new();
        for kind in KINDS {
            let r = reads(seen, b, kind, floors[b], pushes > 0);
            longest = longest.max(r.d);
            predicted.insert((b.to_string(), kind), r.predicted);
            cells.push(match kind {
                EXECUTIONS if pushes > 0 => {
                    format!("watched, {} changes pushed", per_minute(pushes as f64))
                }
                DETAIL if r.measured == 0 && r.predicted == 0.0 => "-".to_string(),
                _ => format!(
                    "{} | {}",
                    per_minute(r.predicted),
                    per_minute(r.measured as f64)
                ),
            });
        }
        rows.push((b, cells));
    }
    println!(
        "\nreads per minute, formula | measured (the longest read took {} ms of the service's \
         clock: d = 0)",
        longest.as_millis()
    );
    println!("  backend      pipelines    executions                     gates          detail");
    for (b, cells) in rows {
        match (projects_of(b).is_empty(), cells.as_slice()) {
            (false, [p, e, g, d]) => println!("  {b:<11}  {p:<11}  {e:<29}  {g:<13}  {d}"),
            _ => println!("  {b:<11}  reads its config and its own runs from memory"),
        }
    }
    println!("  Argo's gates: the formula replayed over the changes its watch pushed");
    let failed = seen.iter().filter(|s| !s.ok).count();
    println!("  reads that failed, over the whole run: {failed}");
    predicted
}

fn requests_table(
    startup_lists: &BTreeMap<String, usize>,
    predicted: &BTreeMap<(String, &'static str), f64>,
    [start, before, after]: [&Snapshot; 3],
) {
    println!("\nrequests per minute the simulators counted, predicted | measured, and per read:");
    for (title, backends, stats) in [
        (
            "harness, harness-fg and infraxys (one simulator; NextGen and First Gen share a host)",
            &["harness", "harness-fg", "infraxys"][..],
            [&start.harness, &before.harness, &after.harness],
        ),
        (
            "argo and argo-data (the other simulator; the two namespaces share its routes)",
            &["argo", "argo-data"][..],
            [&start.argo, &before.argo, &after.argo],
        ),
    ] {
        println!("  {title}");
        let mut routes: BTreeMap<Route, (f64, Vec<String>)> = BTreeMap::new();
        for b in backends {
            for kind in KINDS {
                for (route, n) in cost(b, kind, &before.census) {
                    let entry = routes.entry(route).or_default();
                    entry.0 += predicted[&(b.to_string(), kind)] * n;
                    entry.1.push(format!("{b} {kind} {n}"));
                }
            }
        }
        let [first, from, to] = stats;
        let counted = |a: &SimStats, b: &SimStats, route: &(String, String)| {
            b.requests.get(route).copied().unwrap_or(0)
                - a.requests.get(route).copied().unwrap_or(0)
        };
        let (mut p_total, mut m_total) = (0.0, 0);
        for route in to.requests.keys() {
            let m = counted(from, to, route);
            let (p, why) = routes
                .iter()
                .find(|((method, path), _)| {
                    (*method, *path) == (route.0.as_str(), route.1.as_str())
                })
                .map_or((0.0, "not predicted".to_string()), |(_, (p, why))| {
                    (*p, why.join(", "))
                });
            if m == 0 && p == 0.0 {
                continue;
            }
            (p_total, m_total) = (p_total + p, m_total + m);
            println!(
                "    {:<4} {:<68} {:>6} | {:<6} {why}",
                route.0,
                route.1,
                per_minute(p),
                per_minute(m as f64)
            );
        }
        println!(
            "    {:<73} {:>6} | {}",
            "total",
            per_minute(p_total),
            per_minute(m_total as f64)
        );
        let graphql = (FG_GRAPHQL.0.to_string(), FG_GRAPHQL.1.to_string());
        if to.requests.contains_key(&graphql) {
            let fg = counted(from, to, &graphql) as f64;
            println!(
                "    First Gen: {} requests a minute, against its budget of 30 per account",
                per_minute(fg)
            );
        }
        let warm_up: u64 = to.requests.keys().map(|r| counted(first, from, r)).sum();
        println!("    first minute (every read due at once, watches opening): {warm_up}");
    }
    let lists: Vec<String> = startup_lists
        .iter()
        .map(|(namespace, n)| format!("{namespace} {n}"))
        .collect();
    println!(
        "  executions lists in the first minute, by namespace: {} (the service polls once \
         while the watch lists before it opens)",
        lists.join(", ")
    );
}

fn bytes_table(
    [_, before, after]: [&Snapshot; 3],
    sizes: &BTreeMap<(String, &'static str), Weight>,
) {
    println!(
        "\nbytes per read (whole HTTP responses, one read of each at the end of the window) \
         | all a backend downloaded, per minute of the window:"
    );
    for b in BACKENDS {
        let weight = |kind| sizes.get(&(b.to_string(), kind)).copied();
        let cells: Vec<String> = KINDS
            .iter()
            .filter_map(|kind| {
                let w = weight(kind).filter(|w| w.bytes > 0)?;
                Some(format!("{kind} {} ({})", size(w.bytes), w.items))
            })
            .collect();
        let total = (after.bytes[b] - before.bytes[b]) as f64 / MINUTES;
        let cells = if cells.is_empty() {
            "no requests".to_string()
        } else {
            cells.join(", ")
        };
        println!("  {b:<11}  {cells} | {}", size(total as u64));
        if let (Some(bare), Some(projected)) = (weight(UNPROJECTED), weight(EXECUTIONS)) {
            println!(
                "  {:<11}  executions list of {} workflows: {} with fields=, {} without ({:.1}x less)",
                "",
                bare.items,
                size(projected.bytes),
                size(bare.bytes),
                bare.bytes as f64 / projected.bytes as f64
            );
        }
    }
    println!("  (items in brackets: pipelines, executions, gates, or the one execution read)");
}
