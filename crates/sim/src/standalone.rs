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
use std::io::Write as _;
use std::net::SocketAddr;

use super::client_config::{self, SimEndpoints, TokenSource};
use super::{
    ClockMode, Listen, STATE_PATH, SimHandle, SimOptions, SimStats, account_for, endpoints_for,
    new_token,
};

/// The environment variable the printed config reads the token from, and `--token`'s.
pub const TOKEN_ENV: &str = "FLIGHTDECK_SIM_TOKEN";

/// What `flightdeck sim` was asked for: its command line, in the simulator's terms.
#[derive(Clone, Debug, PartialEq)]
pub struct StandaloneOptions {
    /// Where the Harness face listens; Argo Workflows takes the next port, Infraxys the one
    /// after. Port 0 picks free ports.
    pub listen: SocketAddr,
    /// Seed of the simulated world.
    pub seed: u64,
    /// The token every face accepts; `None` makes a new one.
    pub token: Option<String>,
    /// Speed of the simulated clock.
    pub speed: f64,
    /// Print the flightdeck config for such a simulator instead of serving.
    pub print_config: bool,
    /// Once listening, write a flightdeck config naming the ports bound here (its token
    /// beside it, in `<file>.token`).
    pub write_config: Option<std::path::PathBuf>,
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
pub async fn run(args: &StandaloneOptions) -> Result<(), Failure> {
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
        say(&printed_config(args, &endpoints));
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
    say(&banner(&sim, args));
    if let Some(path) = &args.write_config {
        let written = write_config(path, &sim.endpoints(), &sim.harness_token());
        if let Err(message) = written {
            sim.shutdown();
            return Err(Failure { code: 1, message });
        }
        say(&format!(
            "  config written to {} (token in {})\n\n",
            path.display(),
            token_path(path).display()
        ));
    }
    say(&format!(
        "ready: harness={} argo={} infraxys={}\n",
        sim.harness_url(),
        sim.argo_url(),
        sim.infraxys_url()
    ));
    let signal = signals.next().await;
    let stats = sim.stats();
    sim.shutdown();
    say(&format!("{signal}: stopped. {}\n", summary(&stats)));
    Ok(())
}

/// Writes to stdout and flushes. A reader that went away (`flightdeck sim | head`) does not
/// stop the simulator: what it would have read is dropped.
fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
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

/// Everything a user needs to point a script at the simulator. Every face accepts the one
/// token, so `harness_token` is also the Argo and Infraxys token.
fn banner(sim: &SimHandle, args: &StandaloneOptions) -> String {
    let e = sim.endpoints();
    format!(
        "flightdeck simulator: seed {seed}, clock x{speed}; Ctrl-C stops it

  Harness NextGen    {harness}   (/pipeline/api/..., /gateway/pipeline/api/..., /v1/...)
  Harness First Gen  {fg}/api/graphql?accountId={account}
  Argo Workflows     {argo}   (/api/v1/...)
  Infraxys           {infraxys}   (/api/v1/...)

  account            {account}
  org                {org}
  projects           {projects}
  applications       {applications}
  namespaces         {namespaces}
  infraxys branch    {branch}
{infraxys_paths}
  token, accepted by every face with every permission: Harness x-api-key,
  First Gen X-Api-Key, Argo Authorization: Bearer <it>, Infraxys Authorization: token <it>
    export {TOKEN_ENV}='{token}'
    export ARGO_SERVER={argo_authority} ARGO_HTTP1=true ARGO_SECURE=false ARGO_TOKEN='Bearer {token}'
  tokens for trying refusals:
    Harness view-only PAT         {viewer}
    Harness second approver PAT   {second}
    Harness service account       {service}   (approvals refuse it)
    First Gen view-only key       {fg_viewer}
    Argo view-only token          {argo_viewer}

  state: GET {STATE_PATH} on each face, e.g. curl {harness}{STATE_PATH}
  config: {config}

",
        seed = args.seed,
        speed = args.speed,
        harness = e.harness_url,
        fg = e.harness_fg_url(),
        account = e.account,
        argo = e.argo_url,
        infraxys = e.infraxys_url,
        org = e.org,
        projects = e.projects.join(", "),
        applications = e.applications.join(", "),
        namespaces = e.namespaces.join(", "),
        branch = e.infraxys.branch,
        infraxys_paths = infraxys_paths(&e),
        token = sim.harness_token(),
        argo_authority = e.argo_url.trim_start_matches("http://"),
        viewer = sim.harness_unauthorized_token(),
        second = sim.harness_second_token(),
        service = sim.harness_sat_token(),
        fg_viewer = sim.harness_fg_viewer_key(),
        argo_viewer = sim.argo_viewer_token(),
        config = if args.listen.port() == 0 {
            "--print-config describes a simulator on a fixed --listen port, not 0; \
             --write-config FILE writes one for the ports bound"
                .to_string()
        } else {
            format!(
                "flightdeck sim --print-config --listen {} --seed {} > sim.toml",
                args.listen, args.seed
            )
        },
    )
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

/// The config `--print-config` prints: instructions as comments, then the backends.
fn printed_config(args: &StandaloneOptions, e: &SimEndpoints) -> String {
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

/// Where `--write-config FILE` puts the token: beside the config, never in it, so the config
/// holds no secret and loads without the literal-secret warning.
fn token_path(config: &std::path::Path) -> std::path::PathBuf {
    let mut name = config.file_name().unwrap_or_default().to_os_string();
    name.push(".token");
    config.with_file_name(name)
}

/// `--write-config FILE`: the config for the ports actually bound (port 0 included), the
/// token in an owner-only `FILE.token` it names by absolute path, so `flightdeck --config
/// FILE` works from any directory at once. Both are replaced if they exist: they describe
/// this run of the simulator only. Written aside and renamed, so a script that waits for
/// the file never reads half of it.
fn write_config(path: &std::path::Path, e: &SimEndpoints, token: &str) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let fail =
        |p: &std::path::Path, err: std::io::Error| format!("cannot write {}: {err}", p.display());
    let absolute = std::path::absolute(path).map_err(|err| fail(path, err))?;
    let token_file = token_path(&absolute);
    let write = |target: &std::path::Path, text: &str| -> Result<(), String> {
        let mut tmp_name = target.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(format!(".tmp{}", std::process::id()));
        let tmp = target.with_file_name(tmp_name);
        let _ = std::fs::remove_file(&tmp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|err| fail(target, err))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&tmp, target))
            .map_err(|err| {
                let _ = std::fs::remove_file(&tmp);
                fail(target, err)
            })
    };
    write(&token_file, &format!("{token}\n"))?;
    let token_text = token_file.to_string_lossy();
    write(
        &absolute,
        &format!(
            "# flightdeck config for the simulator running now (written by\n\
             # `flightdeck sim --write-config`); it is replaced at the next start.\n\
             # Then: flightdeck --config {} list pipelines\n\n{}",
            absolute.display(),
            client_config::backends_toml(e, TokenSource::File(&token_text)),
        ),
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
