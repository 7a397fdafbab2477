//! The embedded simulator behind `flightdeck demo` and every test: an HTTP server on loopback
//! that speaks the real wire formats over one shared, moving world.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use flightdeck_sim::{ClockMode, SimHandle, SimOptions};
//! let sim = SimHandle::start(SimOptions { clock: ClockMode::Manual, ..SimOptions::default() }).await?;
//! println!("{} {} {}", sim.harness_url(), sim.account(), sim.harness_token());
//! sim.advance(std::time::Duration::from_secs(60)); // the world moves one minute
//! # Ok(()) }
//! ```
//!
//! Layout: `clock` (simulated time), `world` (backend-neutral model and its progression),
//! `seed` (the demo content), `harness` (the Harness NextGen face, over the NextGen
//! projects), `harness_fg` (the First Gen GraphQL face over the First Gen applications, on
//! the same host as NextGen like the real service), `infraxys`
//! (the Infraxys face, on a listener of its own over a fixed catalogue), `argo` (the Argo
//! Workflows face, see below), `faults` (injected latency and errors), `stats` (request and
//! decision counters, and the middleware every face counts its routes with), `limit` (the
//! Harness faces' rate limiters), `control` (test helpers that put the world into known
//! states), `listen` (where the listeners bind), `inspect` (`GET /_sim/state` on every face),
//! `client_config` (the flightdeck config that points at a simulator, written from the
//! simulator's own description of itself) and `standalone` (`flightdeck sim`: the simulator
//! alone in the foreground). This crate depends on nothing of flightdeck's: the client reads
//! the config it prints with its own loader, which is where the two are held to agree.
//!
//! This file composes the faces: the Harness gateway serves NextGen and First Gen.
//!
//! `argo` serves `argo-server`'s `/api/v1` on a listener of its own ([`SimHandle::argo_url`],
//! bearer [`SimHandle::argo_token`]) over the world's Argo namespaces (`argo`, `data`):
//! WorkflowTemplates with parameters and suspend gates compile into world pipelines, so
//! workflows move on the simulated clock like every other run, and a resume or node stop is a
//! decision in [`SimStats`]. Beside the wire formats it offers what client tests need: watch
//! streams ended or cut on demand, the v4 paging bug as a switch, and every request it
//! received, body included ([`SimHandle::argo_requests`]).

mod argo;
pub mod client_config;
mod clock;
mod control;
mod faults;
mod harness;
mod harness_fg;
mod ids;
mod infraxys;
mod inspect;
mod limit;
mod listen;
mod seed;
pub mod standalone;
mod stats;
mod world;

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use argo::ArgoRequest;
pub use client_config::SimEndpoints;
pub use clock::{ClockMode, MANUAL_EPOCH_MS};
pub use control::{Gate, SimWorld};
pub use faults::{Face, Fault, Faults, POISON, Rule};
pub use infraxys::{
    Argument, ArgumentKind, InfraxysAction, InfraxysAlias, InfraxysCatalogue, InfraxysWorkflow,
};
pub use inspect::STATE_PATH;
pub use listen::Listen;
pub use stats::{DecisionCount, FaceRequests, SimStats, UNMATCHED_ROUTE};
pub use world::{ApprovalStatus, RunStatus};

use argo::{ArgoFace, ArgoState, Identities, ServiceAccount};
use clock::Clock;
use harness::{HarnessAuth, Token, TokenKind};
use harness_fg::{FgAuth, FgKey};
use infraxys::InfraxysFace;
use inspect::Face as Listener;
use world::World;

/// How to start a simulator.
#[derive(Clone, Debug, PartialEq)]
pub struct SimOptions {
    /// Seeds the world's content and everything random in it.
    pub seed: u64,
    pub clock: ClockMode,
    /// One credential every face accepts with every permission: the Harness user PAT
    /// (`x-api-key`), the First Gen API key, the Argo bearer token and the Infraxys token.
    /// It must look like a Harness PAT, `pat.<account>.<tokenId>.<secret>`; its account part
    /// becomes the simulated account. `None` gives each face a generated token of its own
    /// kind, and the account comes from the seed.
    pub token: Option<String>,
    /// Where the faces listen; free loopback ports by default.
    pub listen: Listen,
}

impl Default for SimOptions {
    fn default() -> SimOptions {
        SimOptions {
            seed: 42,
            clock: ClockMode::Real { speed: 1.0 },
            token: None,
            listen: Listen::loopback(),
        }
    }
}

/// What a simulator started with `opts` serves and where, known without starting it:
/// `flightdeck sim --print-config` describes a simulator running in another process.
pub fn endpoints_for(opts: &SimOptions) -> io::Result<SimEndpoints> {
    let account = account_for(opts)?;
    let (world, _, _) = seed::build(opts.seed, Clock::new(opts.clock).now_ms());
    let l = opts.listen;
    let urls = [l.harness, l.argo, l.infraxys].map(|a| format!("http://{a}"));
    Ok(describe(&world, account, urls))
}

/// The endpoints of a world served at `urls` (Harness, Argo, Infraxys).
fn describe(w: &World, account: String, urls: [String; 3]) -> SimEndpoints {
    let [harness_url, argo_url, infraxys_url] = urls;
    let names = |g: world::Generation, id: bool| -> Vec<String> {
        w.projects_of(g)
            .map(|p| if id { p.id.clone() } else { p.name.clone() })
            .collect()
    };
    SimEndpoints {
        harness_url,
        argo_url,
        infraxys_url,
        account,
        org: ORG.to_string(),
        projects: names(world::Generation::NextGen, true),
        applications: names(world::Generation::FirstGen, false),
        namespaces: names(world::Generation::Argo, true),
        infraxys: infraxys::demo_catalogue(),
    }
}

/// The one NextGen organization.
const ORG: &str = "default";

/// Ids are seeded (so a seed reproduces the account); secrets are not, so a simulator
/// reachable by others cannot be entered by knowing the seed.
fn ids_rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ 0x005E_ED0F_ACC0)
}

/// A new user PAT of the account `seed` gives, with a random secret: the one token `flightdeck
/// sim` and `flightdeck demo` hand every face when none is given.
pub fn new_token(seed: u64) -> String {
    let mut rng = ids_rng(seed);
    let account = ids::url_id(&mut rng);
    format!(
        "pat.{account}.{}.{}",
        ids::hex_id(&mut rng),
        alnum(&mut rand::rng(), 20)
    )
}

/// The account a simulator started with `opts` serves, known without starting it.
pub fn account_for(opts: &SimOptions) -> io::Result<String> {
    match &opts.token {
        Some(t) => match harness::token_account(t) {
            Some(a) if t.starts_with("pat.") => Ok(a.to_string()),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the token must look like a Harness PAT: pat.<account>.<tokenId>.<secret>",
            )),
        },
        None => Ok(ids::url_id(&mut ids_rng(opts.seed))),
    }
}

/// State shared by the server's handlers, the clock task and the handle.
pub(crate) struct Shared {
    pub(crate) seed: u64,
    pub(crate) clock: Clock,
    world: Mutex<World>,
    stats: Mutex<SimStats>,
    /// Requests seen, for correlation ids.
    pub(crate) requests: AtomicU64,
    pub(crate) harness: HarnessAuth,
    pub(crate) faults: faults::SharedFaults,
    pub(crate) infraxys: InfraxysFace,
    pub(crate) harness_fg: FgAuth,
    pub(crate) argo: ArgoFace,
}

impl Shared {
    /// The world. A handler that panicked while holding the lock leaves the world usable: every
    /// change is applied whole, so the data is consistent either way.
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn stats(&self) -> MutexGuard<'_, SimStats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Brings the world up to the clock, and lets the Argo face record what changed (it keeps
    /// resource versions, which must move whenever a workflow does).
    pub(crate) fn sync(&self) {
        let now = self.clock.now_ms();
        let mut w = self.world();
        w.advance_to(now);
        self.argo.observe(&w, now);
    }
}

/// The tokens handed out, by role.
#[derive(Clone, Debug)]
struct Tokens {
    user: String,
    second: String,
    viewer: String,
    service: String,
    /// First Gen API keys: full permissions, and view only.
    fg: String,
    fg_viewer: String,
    /// Argo service-account tokens: read and write, and view only.
    argo: String,
    argo_viewer: String,
    infraxys: String,
}

/// A running simulator. Dropping it (or `shutdown`) stops the server.
pub struct SimHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tokens: Tokens,
    stop: Option<oneshot::Sender<()>>,
    infraxys_addr: SocketAddr,
    infraxys_stop: Option<oneshot::Sender<()>>,
    argo_addr: SocketAddr,
    argo_stop: Option<oneshot::Sender<()>>,
    argo_routes: Vec<(&'static str, &'static str)>,
    ticker: Option<JoinHandle<()>>,
}

fn alnum(rng: &mut impl rand::Rng, n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

/// A token shaped like a Kubernetes service-account token (a JWT).
/// A Kubernetes service-account token for `argo:<name>`: a JWT whose payload carries the
/// claims a legacy service-account token has, so the Argo face's `userinfo` can decode them
/// the way argo-server does (without checking the signature), and a random signature.
fn service_account_token(rng: &mut impl rand::Rng, name: &str) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims = serde_json::json!({
        "iss": "kubernetes/serviceaccount",
        "kubernetes.io/serviceaccount/namespace": "argo",
        "kubernetes.io/serviceaccount/secret.name": format!("{name}.service-account-token"),
        "kubernetes.io/serviceaccount/service-account.name": name,
        "sub": format!("system:serviceaccount:argo:{name}"),
    });
    format!(
        "eyJhbGciOiJSUzI1NiIsImtpZCI6InNpbSJ9.{}.{}",
        b64.encode(claims.to_string()),
        alnum(rng, 86)
    )
}

impl SimHandle {
    /// Builds the seeded world and serves it on the addresses of `opts.listen`. Every listener
    /// is bound before anything else starts; a taken address fails the start with an error
    /// naming it and its face.
    pub async fn start(opts: SimOptions) -> io::Result<SimHandle> {
        if let ClockMode::Real { speed } = opts.clock
            && !(speed.is_finite() && speed > 0.0)
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "clock speed must be a positive number",
            ));
        }
        let account = account_for(&opts)?;
        let listeners = listen::bind(&opts.listen).await?;
        let mut ids_rng = ids_rng(opts.seed);
        if opts.token.is_none() {
            // The account's draw, so the other tokens' ids stay what they were.
            ids::url_id(&mut ids_rng);
        }
        let mut secrets = rand::rng();
        let mut make = |prefix: &str| {
            format!(
                "{prefix}.{account}.{}.{}",
                ids::hex_id(&mut ids_rng),
                alnum(&mut secrets, 20)
            )
        };
        let user_token = opts.token.clone().unwrap_or_else(|| make("pat"));
        let second = make("pat");
        let viewer = make("pat");
        let service = make("sat");
        // First Gen keys are opaque strings, not the NextGen `pat.`/`sat.` format; Argo tokens
        // are Kubernetes service-account tokens. A given token stands in for each face's own.
        let shared_or = |own: String| opts.token.clone().unwrap_or(own);
        let tokens = Tokens {
            user: user_token,
            second,
            viewer,
            service,
            fg: shared_or(alnum(&mut secrets, 40)),
            fg_viewer: alnum(&mut secrets, 40),
            argo: shared_or(service_account_token(&mut secrets, "flightdeck")),
            argo_viewer: service_account_token(&mut secrets, "flightdeck-viewer"),
            infraxys: shared_or(alnum(&mut secrets, 40)),
        };
        let clock = Clock::new(opts.clock);
        let (world, cast, argo_seed) = seed::build(opts.seed, clock.now_ms());
        let token = |value: &String, user: &String, kind| Token {
            value: value.clone(),
            user: user.clone(),
            kind,
        };
        let harness = HarnessAuth {
            account: account.clone(),
            org: ORG.to_string(),
            tokens: vec![
                token(&tokens.user, &cast.admin, TokenKind::Pat),
                token(&tokens.second, &cast.second, TokenKind::Pat),
                token(&tokens.viewer, &cast.viewer, TokenKind::Pat),
                token(&tokens.service, &cast.service, TokenKind::Sat),
            ],
            limiter: Mutex::default(),
        };
        let infraxys = InfraxysFace::new(tokens.infraxys.clone());
        let harness_fg = FgAuth {
            account: account.clone(),
            keys: vec![
                FgKey {
                    value: tokens.fg.clone(),
                    user: cast.admin.clone(),
                },
                FgKey {
                    value: tokens.fg_viewer.clone(),
                    user: cast.viewer.clone(),
                },
            ],
            limiter: Mutex::default(),
        };
        let account = |name: &str, user: &String, can_write| ServiceAccount {
            name: name.to_string(),
            namespace: "argo".to_string(),
            user: user.clone(),
            can_write,
        };
        let writer = account("flightdeck", &cast.admin, true);
        let viewer = account("flightdeck-viewer", &cast.viewer, false);
        let argo_state = ArgoState::new(
            seed::argo::NAMESPACES
                .iter()
                .map(|n| n.to_string())
                .collect(),
            argo_seed,
            Identities(vec![writer.clone(), viewer.clone()]),
        );
        let argo = ArgoFace::new(
            vec![
                argo::Token {
                    value: tokens.argo.clone(),
                    account: writer,
                },
                argo::Token {
                    value: tokens.argo_viewer.clone(),
                    account: viewer,
                },
            ],
            argo_state,
        );
        let shared = Arc::new(Shared {
            seed: opts.seed,
            clock,
            world: Mutex::new(world),
            stats: Mutex::default(),
            requests: AtomicU64::new(0),
            harness,
            faults: Default::default(),
            infraxys,
            harness_fg,
            argo,
        });
        // The Argo face's first look: every seeded workflow gets its resource version.
        shared.sync();
        // Every face counts its requests, and injected faults apply to every face (a rule
        // picks its face); `/_sim/state` sits outside both.
        let face = |router: axum::Router, listener: Listener| {
            let faulty = match listener {
                Listener::Harness => Face::Harness,
                Listener::Argo => Face::Argo,
                Listener::Infraxys => Face::Infraxys,
            };
            inspect::counted(router, &shared, listener)
                .layer(axum::middleware::from_fn_with_state(
                    (shared.clone(), faulty),
                    faults::inject,
                ))
                .merge(inspect::route(shared.clone(), listener))
        };
        // First Gen's GraphQL endpoint lives on the same gateway as NextGen.
        let gateway = harness::gateway(
            harness::routes().merge(harness_fg::routes()),
            shared.clone(),
        );
        let (addr, stop) = serve(listeners.harness, face(gateway, Listener::Harness))?;
        let (infraxys_addr, infraxys_stop) = serve(
            listeners.infraxys,
            face(infraxys::router(shared.clone()), Listener::Infraxys),
        )?;
        let (argo_router, argo_routes) = argo::router(shared.clone());
        let (argo_addr, argo_stop) = serve(listeners.argo, face(argo_router, Listener::Argo))?;
        // On a real clock the world moves even when nobody asks (requests also catch it up).
        let ticker = shared.clock.is_real().then(|| {
            let shared = Arc::downgrade(&shared);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(250));
                loop {
                    tick.tick().await;
                    match shared.upgrade() {
                        Some(s) => s.sync(),
                        None => return,
                    }
                }
            })
        });
        Ok(SimHandle {
            shared,
            addr,
            tokens,
            stop: Some(stop),
            infraxys_addr,
            infraxys_stop: Some(infraxys_stop),
            argo_addr,
            argo_stop: Some(argo_stop),
            argo_routes,
            ticker,
        })
    }

    /// Base URL of the Harness NextGen face, e.g. `http://127.0.0.1:PORT`; routes live under
    /// `/pipeline/api/...`, `/gateway/pipeline/api/...`, `/v1/...` and
    /// `/gateway/pipeline/api/v1/...`.
    pub fn harness_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn account(&self) -> String {
        self.shared.harness.account.clone()
    }

    pub fn org(&self) -> String {
        self.shared.harness.org.clone()
    }

    /// NextGen project identifiers, in a fixed order (the First Gen applications are not
    /// among them: see [`SimHandle::harness_fg_applications`]).
    pub fn projects(&self) -> Vec<String> {
        self.shared
            .world()
            .projects_of(world::Generation::NextGen)
            .map(|p| p.id.clone())
            .collect()
    }

    /// A user PAT with every permission, member of every approver group.
    pub fn harness_token(&self) -> String {
        self.tokens.user.clone()
    }

    /// A second user PAT with every permission, for gates that need two approvers. Its user is
    /// a release manager and on the SRE rota but not a DBA, so the ledger migration gate
    /// answers it "User not authorized to approve/reject".
    pub fn harness_second_token(&self) -> String {
        self.tokens.second.clone()
    }

    /// A service-account token: may execute, but Harness approvals refuse non-USER principals.
    pub fn harness_sat_token(&self) -> String {
        self.tokens.service.clone()
    }

    /// A valid user PAT without `core_pipeline_execute` (403 on execute, approve and abort),
    /// and outside the release-manager, SRE and DBA approver groups.
    pub fn harness_unauthorized_token(&self) -> String {
        self.tokens.viewer.clone()
    }

    /// The simulated time, in epoch milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.shared.clock.now_ms()
    }

    /// Moves time forward and lets the world progress. Meant for the manual clock; on a real
    /// clock it skips ahead.
    pub fn advance(&self, d: Duration) {
        self.shared.clock.advance(d);
        self.shared.sync();
    }

    /// Limits each API key to `per_minute` requests in any sliding minute of wall-clock time
    /// (429 without `Retry-After` beyond it). `None`, the default, turns the limit off.
    pub fn set_harness_rate_limit(&self, per_minute: Option<u32>) {
        self.shared
            .harness
            .limiter
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set(per_minute);
    }

    /// Sets the vendors' documented request limits (`true`) or turns every limit off:
    /// Harness NextGen 400 requests a minute per API key, First Gen 30 GraphQL calls a
    /// minute per account, each in a sliding minute, answered beyond it with the vendor's
    /// 429. Off by default, so the demo polls freely; the benchmarks turn it on.
    pub fn set_vendor_limits(&self, on: bool) {
        self.set_harness_rate_limit(on.then_some(limit::HARNESS_PER_KEY));
        self.set_harness_fg_rate_limit(on.then_some(limit::HARNESS_FG_PER_ACCOUNT));
    }

    /// Replaces the injected faults (see [`Fault`]); `Faults::default()` clears them, and
    /// releases every hung request.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.faults.replace(faults);
    }

    /// Base URL of the Infraxys face, e.g. `http://127.0.0.1:PORT`; routes live under
    /// `/api/v1/...`.
    pub fn infraxys_url(&self) -> String {
        format!("http://{}", self.infraxys_addr)
    }

    /// The personal access token the Infraxys face accepts (`Authorization: token <it>`).
    pub fn infraxys_token(&self) -> String {
        self.shared.infraxys.token.clone()
    }

    /// The workflows, actions and aliases the Infraxys face serves, as config entries.
    pub fn infraxys_catalogue(&self) -> InfraxysCatalogue {
        infraxys::demo_catalogue()
    }

    /// `false` behaves like Infraxys Developer: calls need no token. Defaults to `true`.
    pub fn set_infraxys_token_required(&self, required: bool) {
        self.shared
            .infraxys
            .token_required
            .store(required, std::sync::atomic::Ordering::Relaxed);
    }

    /// How long a synchronous Infraxys run takes before it answers, and over how long a
    /// progress stream spreads its events (default 800 ms).
    pub fn set_infraxys_latency(&self, latency: Duration) {
        self.shared.infraxys.set_latency(latency);
    }

    /// Base URL of the Harness First Gen face, `http://127.0.0.1:PORT/gateway` (as on SaaS);
    /// its endpoint is `POST <base>/api/graphql?accountId=<account>`, also served without
    /// the `/gateway` prefix.
    pub fn harness_fg_url(&self) -> String {
        format!("http://{}/gateway", self.addr)
    }

    /// A First Gen API key with every permission, member of every approver group.
    pub fn harness_fg_api_key(&self) -> String {
        self.tokens.fg.clone()
    }

    /// A valid First Gen API key whose user may view but not deploy or decide gates.
    pub fn harness_fg_viewer_key(&self) -> String {
        self.tokens.fg_viewer.clone()
    }

    /// First Gen application names (the names of the world's First Gen projects, which the
    /// NextGen face does not serve), in a fixed order.
    pub fn harness_fg_applications(&self) -> Vec<String> {
        self.shared
            .world()
            .projects_of(world::Generation::FirstGen)
            .map(|p| p.name.clone())
            .collect()
    }

    /// Limits First Gen GraphQL calls to `per_minute` per account in any sliding wall-clock
    /// minute (429 with the GraphQL rate-limit body beyond it). `None`, the default, turns
    /// the limit off so the demo polls freely; the real service's default is 30.
    pub fn set_harness_fg_rate_limit(&self, per_minute: Option<u32>) {
        self.shared
            .harness_fg
            .limiter
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set(per_minute);
    }

    /// Base URL of the Argo Workflows face, e.g. `http://127.0.0.1:PORT`; routes live under
    /// `/api/v1/...` (see [`SimHandle::argo_routes`]).
    pub fn argo_url(&self) -> String {
        format!("http://{}", self.argo_addr)
    }

    /// A service-account token (sent as `Authorization: Bearer <it>`) that may read and
    /// change workflows in every namespace; its subject is
    /// `system:serviceaccount:argo:flightdeck`.
    pub fn argo_token(&self) -> String {
        self.tokens.argo.clone()
    }

    /// A view-only service-account token (`flightdeck-viewer`): reads work, every write is
    /// 403 with code 7.
    pub fn argo_viewer_token(&self) -> String {
        self.tokens.argo_viewer.clone()
    }

    /// The Argo namespaces, in a fixed order (`argo`, `data`).
    pub fn argo_namespaces(&self) -> Vec<String> {
        self.shared.argo.namespaces()
    }

    /// Every open Argo stream (workflow watches, followed logs) ends now with the EOF error
    /// chunk
    /// `{"error":{"grpc_code":8,"http_code":429,"message":"EOF","http_status":"Too Many Requests"}}`,
    /// as when the server's Kubernetes watch closes.
    pub fn argo_end_watches(&self) {
        self.shared.argo.end_streams();
    }

    /// Every open Argo stream (workflow watches, followed logs) is cut now, without a final
    /// chunk: the connection breaks.
    pub fn argo_drop_watches(&self) {
        self.shared.argo.drop_streams();
    }

    /// How often SSE streams send a `:` keep-alive line (default 15 s).
    pub fn set_argo_keepalive(&self, every: Duration) {
        self.shared.argo.set_keepalive(every);
    }

    /// `true` (the default, as v4.1.2 behaves): the workflow list sets `metadata.continue`
    /// only when the field selector has `ext.showRemainingItemCount=true`. `false`: it is set
    /// whenever more items follow.
    pub fn set_argo_continue_bug(&self, on: bool) {
        self.shared.argo.set_continue_bug(on);
    }

    /// `true` (the default, as the open argo-workflows#17041 behaves): stop and terminate of
    /// a workflow suspended as a whole (`spec.suspend`) answer 200 and record
    /// `spec.shutdown`, but nothing stops until it is resumed. `false`: they stop it at once.
    pub fn set_argo_shutdown_bug(&self, on: bool) {
        self.shared
            .argo
            .shutdown_bug
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// The last 500 requests the Argo face received, oldest first.
    pub fn argo_requests(&self) -> Vec<ArgoRequest> {
        self.shared.argo.requests()
    }

    /// Every route the Argo face serves, as (method, path template as the API documents it).
    pub fn argo_routes(&self) -> Vec<(String, String)> {
        self.argo_routes
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect()
    }

    pub fn stats(&self) -> SimStats {
        self.shared.stats().clone()
    }

    /// Where this simulator listens and what it serves: what a client config needs.
    pub fn endpoints(&self) -> SimEndpoints {
        let urls = [self.harness_url(), self.argo_url(), self.infraxys_url()];
        describe(&self.shared.world(), self.account(), urls)
    }

    /// Helpers that put the world into known states without waiting for it.
    pub fn world(&self) -> SimWorld {
        SimWorld::new(self.shared.clone())
    }

    /// Stops the server (in-flight requests finish) and the clock task.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        // Open Argo streams never end by themselves; cut them so the server can stop.
        self.shared.argo.drop_streams();
        for stop in [
            self.stop.take(),
            self.infraxys_stop.take(),
            self.argo_stop.take(),
        ]
        .into_iter()
        .flatten()
        {
            let _ = stop.send(());
        }
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
    }
}

/// Serves `app` on `listener` until the returned sender fires (or is dropped).
fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
) -> io::Result<(SocketAddr, oneshot::Sender<()>)> {
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok((addr, stop))
}
