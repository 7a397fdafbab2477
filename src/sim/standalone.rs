//! `flightdeck sim`: the simulator alone in the foreground, for scripts, curl one-liners,
//! Postman collections and the vendors' API clients; and `flightdeck sim --print-config`, the
//! flightdeck config for such a simulator started in another terminal.
//!
//! The Harness face listens on `--listen`, Argo Workflows on the next port, Infraxys on the
//! one after. Every face accepts one token (`--token`, else a new one each start), so the
//! printed config names one environment variable, `FLIGHTDECK_SIM_TOKEN`, which `flightdeck
//! sim` also reads: exporting it in both terminals keeps the two ends agreeing.
//!
//! Output contract (tests rely on it): the banner goes to stdout and ends with one line
//! `ready: harness=<url> argo=<url> infraxys=<url>` once every port is listening; SIGINT or
//! SIGTERM stops the servers, prints the final counts and exits 0.

use std::fmt::Write;
use std::net::SocketAddr;

use super::client_config::{self, SimEndpoints, TokenSource};
use super::{
    ClockMode, Listen, STATE_PATH, SimHandle, SimOptions, SimStats, account_for, endpoints_for,
    new_token,
};

/// The environment variable the printed config reads the token from, and `--token`'s.
pub const TOKEN_ENV: &str = "FLIGHTDECK_SIM_TOKEN";

/// `flightdeck sim`'s options.
#[derive(Clone, Debug)]
pub struct Args {
    /// The Harness face's address; Argo and Infraxys take the next two ports.
    pub listen: SocketAddr,
    pub seed: u64,
    /// The token every face accepts; `None` makes a new one.
    pub token: Option<String>,
    pub speed: f64,
    pub print_config: bool,
}

/// Why `flightdeck sim` stopped early, with its exit code.
#[derive(Debug)]
pub struct Failure {
    /// 2 for bad options, 1 when the simulator could not start.
    pub code: u8,
    pub message: String,
}

fn bad_input(message: String) -> Failure {
    Failure { code: 2, message }
}

/// Runs `flightdeck sim`: prints the config, or serves until SIGINT/SIGTERM.
pub async fn run(args: Args) -> Result<(), Failure> {
    let listen = Listen::consecutive(args.listen).map_err(bad_input)?;
    let opts = SimOptions {
        seed: args.seed,
        clock: ClockMode::Real { speed: args.speed },
        token: Some(args.token.clone().unwrap_or_else(|| new_token(args.seed))),
        listen,
    };
    account_for(&opts).map_err(|e| bad_input(format!("--token: {e}")))?;
    if args.print_config {
        if args.listen.port() == 0 {
            return Err(bad_input(
                "--print-config needs the port the simulator listens on, not 0".to_string(),
            ));
        }
        let endpoints = endpoints_for(&opts).map_err(|e| bad_input(format!("--token: {e}")))?;
        print!("{}", printed_config(&args, &endpoints));
        return Ok(());
    }
    if !listen.is_loopback() {
        eprintln!(
            "flightdeck: warning: listening on {} (and the next two ports) is reachable from \
             other machines: anyone holding the printed tokens can start executions and decide \
             gates, and {STATE_PATH} needs no token",
            args.listen
        );
    }
    let signals = Signals::new().map_err(|e| Failure {
        code: 1,
        message: format!("cannot watch signals: {e}"),
    })?;
    let sim = SimHandle::start(opts).await.map_err(|e| Failure {
        code: 1,
        message: format!("cannot start the simulator: {e}"),
    })?;
    print!("{}", banner(&sim, &args));
    println!(
        "ready: harness={} argo={} infraxys={}",
        sim.harness_url(),
        sim.argo_url(),
        sim.infraxys_url()
    );
    let signal = signals.next().await;
    let stats = sim.stats();
    sim.shutdown();
    println!("{signal}: stopped. {}", summary(&stats));
    Ok(())
}

/// SIGINT and SIGTERM, watched from before the servers start so an early one is not lost.
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    async fn next(mut self) -> &'static str {
        tokio::select! {
            _ = self.int.recv() => "SIGINT",
            _ = self.term.recv() => "SIGTERM",
        }
    }
}

/// Everything a user needs to point a script at the simulator.
fn banner(sim: &SimHandle, args: &Args) -> String {
    let e = sim.endpoints();
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!(
        "flightdeck simulator: seed {}, clock x{}; Ctrl-C stops it",
        args.seed, args.speed
    ));
    line(String::new());
    line(format!(
        "  Harness NextGen    {}   (/pipeline/api/..., /gateway/pipeline/api/..., /v1/...)",
        e.harness_url
    ));
    line(format!(
        "  Harness First Gen  {}/api/graphql?accountId={}",
        e.harness_fg_url(),
        e.account
    ));
    line(format!(
        "  Argo Workflows     {}   (/api/v1/...)",
        e.argo_url
    ));
    line(format!(
        "  Infraxys           {}   (/api/v1/...)",
        e.infraxys_url
    ));
    line(String::new());
    line(format!("  account            {}", e.account));
    line(format!("  org                {}", e.org));
    line(format!("  projects           {}", e.projects.join(", ")));
    line(format!(
        "  applications       {}",
        e.applications.join(", ")
    ));
    line(format!("  namespaces         {}", e.namespaces.join(", ")));
    line(format!("  infraxys branch    {}", e.infraxys.branch));
    out.push_str(&infraxys_paths(&e));
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(String::new());
    line(
        "  token, accepted by every face with every permission (Harness x-api-key, First Gen \
          X-Api-Key, Argo Authorization: Bearer, Infraxys Authorization: token):"
            .to_string(),
    );
    line(format!("    export {TOKEN_ENV}='{}'", sim.harness_token()));
    line(format!(
        "    export ARGO_SERVER={} ARGO_HTTP1=true ARGO_SECURE=false ARGO_TOKEN='Bearer {}'",
        authority(&e.argo_url),
        sim.argo_token()
    ));
    line("  tokens for trying refusals:".to_string());
    line(format!(
        "    Harness view-only PAT         {}",
        sim.harness_unauthorized_token()
    ));
    line(format!(
        "    Harness second approver PAT   {}",
        sim.harness_second_token()
    ));
    line(format!(
        "    Harness service account       {}   (approvals refuse it)",
        sim.harness_sat_token()
    ));
    line(format!(
        "    First Gen view-only key       {}",
        sim.harness_fg_viewer_key()
    ));
    line(format!(
        "    Argo view-only token          {}",
        sim.argo_viewer_token()
    ));
    line(String::new());
    line(format!(
        "  state: GET {STATE_PATH} on each face, e.g. curl {}{STATE_PATH}",
        e.harness_url
    ));
    line(format!(
        "  config: flightdeck sim --print-config --listen {} --seed {} > sim.toml",
        args.listen, args.seed
    ));
    line(String::new());
    out
}

/// Each Infraxys entry with the request that runs it.
fn infraxys_paths(e: &SimEndpoints) -> String {
    let c = &e.infraxys;
    let mut out = String::new();
    for w in &c.workflows {
        let _ = writeln!(
            out,
            "    {:<22} POST /api/v1/environment/{}/{}/workflow/{}/execute",
            w.name, c.branch, w.environment_id, w.workflow_id
        );
    }
    for a in &c.actions {
        let _ = writeln!(
            out,
            "    {:<22} POST /api/v1/instance/{}/{}/files/{}/execute",
            a.name, c.branch, a.instance_id, a.filename
        );
    }
    for a in &c.aliases {
        let _ = writeln!(
            out,
            "    {:<22} POST /api/v1/actions/start/{}",
            a.name, a.alias
        );
    }
    out
}

/// `host:port` of a base URL, as `ARGO_SERVER` wants it.
fn authority(url: &str) -> &str {
    url.trim_start_matches("http://")
}

/// The config `--print-config` prints: instructions as comments, then the backends.
fn printed_config(args: &Args, e: &SimEndpoints) -> String {
    let export = match &args.token {
        Some(token) => format!("export {TOKEN_ENV}='{token}'"),
        None => format!("export {TOKEN_ENV}='<the token flightdeck sim printed>'"),
    };
    format!(
        "# flightdeck config for the simulator started with\n\
         #   flightdeck sim --listen {listen} --seed {seed}\n\
         # (printed by `flightdeck sim --print-config`). Every backend sends the token in\n\
         # ${TOKEN_ENV}, which must be the one that simulator accepts; `flightdeck sim` reads\n\
         # the variable too, so exporting it before starting both keeps them in step:\n\
         #   {export}\n\
         # Then: flightdeck --config <this file> list pipelines\n\n{}",
        client_config::backends_toml(e, TokenSource::Env(TOKEN_ENV)),
        listen = args.listen,
        seed = args.seed,
    )
}

/// The counts printed on stop.
fn summary(stats: &SimStats) -> String {
    let per_face: Vec<String> = stats
        .faces
        .iter()
        .map(|(face, r)| format!("{face} {}", r.total()))
        .collect();
    let approvals: u64 = stats.decisions.values().map(|d| d.approve).sum();
    let rejections: u64 = stats.decisions.values().map(|d| d.reject).sum();
    format!(
        "{} requests ({}), {} executions started, {} Infraxys runs, {approvals} approvals, \
         {rejections} rejections",
        stats.total_requests,
        if per_face.is_empty() {
            "none".to_string()
        } else {
            per_face.join(", ")
        },
        stats.starts,
        stats.infraxys_starts,
    )
}
