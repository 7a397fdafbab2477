//! Bytes the dashboard writes to a real terminal, counted at the pty. flightdeck runs in a
//! tmux pane (120x40, then 80x24) against a standalone simulator at 1/100 speed, so nothing
//! changes on its own, and `tmux pipe-pane` copies every byte it writes to a file. Measured:
//!
//! - a full repaint: the frame drawn after the pane is resized back to its own size, which
//!   clears the screen and draws every cell of the loaded dashboard again;
//! - the idle stream: bytes per second while only the clock moves (running durations);
//! - one execution row changing status, twice: a running Harness execution is aborted (only
//!   its row changes), then a waiting one is (its row, and the gate count in the header). The
//!   abort goes to the simulator's Harness interrupt API, which applies it at once; a decision
//!   would only move the execution on after the simulator's resume delay, minutes at this
//!   speed. The frames that follow are replayed on a small terminal model and split by screen
//!   row, so what else changed is shown; the bytes of the whole window around the change are
//!   also given net of the idle rate;
//! - the same executions listed by `watch -n 2` of curl + jq (the Harness NextGen execution
//!   summary list of every project, newest first) in a pane of the same size beside the
//!   dashboard, so each abort changes both screens: bytes per refresh with and without a
//!   changed row.
//!
//! Prints figures; asserts nothing about them. Needs tmux; the watch comparison needs curl,
//! jq and watch, and is reported as not measured without them.
//!
//!     cargo bench --bench pty

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, TOKEN, Tmux, simulator};

use unicode_width::UnicodeWidthChar;

const SIZES: [(usize, usize); 2] = [(120, 40), (80, 24)];
/// Long enough for every backend's first reads, gates and the selected execution's detail.
const SETTLE: Duration = Duration::from_secs(5);
const IDLE: Duration = Duration::from_secs(10);
/// How often the captured files are sized, which places each frame in time.
const SAMPLE: Duration = Duration::from_millis(20);
/// After the row changed: the gates re-read the change triggers, and the next refresh of
/// `watch`, land within this.
const AFTER: Duration = Duration::from_millis(2500);
/// The idle stream measured just before each change, as its baseline.
const BASELINE: Duration = Duration::from_secs(5);
const DEADLINE: Duration = Duration::from_secs(30);

const SYNC_END: &[u8] = b"\x1b[?2026l";

// ---------------------------------------------------------------------------------------
// Processes

impl Tmux {
    /// A detached session of exactly `w`x`h` whose output is copied to `bytes` from the
    /// first byte: the pane starts idle, the pipe opens, then the pane is respawned with
    /// `command` (the pipe stays open across the respawn).
    fn pane(&self, name: &str, (w, h): (usize, usize), bytes: &Path, command: &str) {
        let (w, h) = (w.to_string(), h.to_string());
        self.run(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            &w,
            "-y",
            &h,
            "sleep 86400",
        ]);
        self.run(&[
            "pipe-pane",
            "-t",
            name,
            "-o",
            &format!("cat >> '{}'", bytes.display()),
        ]);
        self.run(&["respawn-pane", "-k", "-t", name, command]);
        let size = self.run(&[
            "display-message",
            "-p",
            "-t",
            name,
            "#{pane_width}x#{pane_height}",
        ]);
        assert_eq!(size.trim(), format!("{w}x{h}"), "pane size");
    }
}

/// Whether `tool` runs (`flag` prints its version).
fn have(tool: &str, flag: &str) -> bool {
    Command::new(tool)
        .arg(flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The Harness NextGen backend of the printed config.
struct Harness {
    base: String,
    account: String,
    org: String,
    projects: Vec<String>,
}

impl Harness {
    fn from_config(config: &Path) -> Harness {
        let text = std::fs::read_to_string(config).expect("config");
        let parsed: toml::Table = text.parse().expect("printed config parses");
        let backend = parsed["backend"]
            .as_array()
            .expect("backends")
            .iter()
            .find(|b| b["kind"].as_str() == Some("harness"))
            .expect("a harness backend");
        let field = |k: &str| backend[k].as_str().expect(k).to_owned();
        Harness {
            base: field("base_url"),
            account: field("account"),
            org: field("org"),
            projects: backend["projects"]
                .as_array()
                .expect("projects")
                .iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect(),
        }
    }

    /// The script `watch` runs: every project's executions, newest first, one line each.
    fn listing_script(&self) -> String {
        format!(
            r##"for p in {projects}; do
  curl -s -X POST -H "x-api-key: $FLIGHTDECK_SIM_TOKEN" -H 'content-type: application/json' \
    -d '{{"filterType":"PipelineExecution"}}' \
    "{base}/pipeline/api/pipelines/execution/summary?accountIdentifier={account}&orgIdentifier={org}&projectIdentifier=$p&page=0&size=50&sort=startTs,DESC"
done | jq -rs '[.[].data.content[]] | sort_by(-.startTs) | .[]
  | [.status, .name, .projectIdentifier, "#\(.runSequence)", (.startTs / 1000 | floor | todate)] | @tsv'
"##,
            projects = self.projects.join(" "),
            base = self.base,
            account = self.account,
            org = self.org,
        )
    }

    /// Aborts an execution through the Harness interrupt API (`AbortAll`).
    fn abort(&self, project: &str, id: &str) -> Result<(), String> {
        let url = format!(
            "{}/pipeline/api/pipeline/execute/interrupt/{id}?accountIdentifier={}&orgIdentifier={}&projectIdentifier={project}&interruptType=AbortAll",
            self.base, self.account, self.org
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let response = reqwest::Client::new()
                .put(&url)
                .header("x-api-key", TOKEN)
                .header("Harness-Account", &self.account)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            status
                .is_success()
                .then_some(())
                .ok_or(format!("HTTP {status}: {body}"))
        })
    }
}

// ---------------------------------------------------------------------------------------
// Time: the captured files are sized every SAMPLE, which dates each byte within it.

struct Timeline {
    start: Instant,
    files: Vec<PathBuf>,
    /// (seconds since start, size of each file)
    samples: Vec<(f64, Vec<u64>)>,
}

impl Timeline {
    fn new(files: Vec<PathBuf>) -> Self {
        Timeline {
            start: Instant::now(),
            files,
            samples: Vec::new(),
        }
    }

    fn now(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    fn sample(&mut self) {
        let sizes = self
            .files
            .iter()
            .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
            .collect();
        self.samples.push((self.now(), sizes));
    }

    fn size(&self, file: usize) -> u64 {
        self.samples.last().map_or(0, |(_, s)| s[file])
    }

    fn pause(&mut self, d: Duration) {
        let end = Instant::now() + d;
        loop {
            self.sample();
            if Instant::now() >= end {
                return;
            }
            std::thread::sleep(SAMPLE);
        }
    }

    /// Samples until `done` holds (checked every few samples: it may parse a whole file).
    fn until(&mut self, what: &str, mut done: impl FnMut(&Self) -> bool) {
        let end = Instant::now() + DEADLINE;
        loop {
            self.pause(SAMPLE * 5);
            if done(self) {
                return;
            }
            assert!(Instant::now() < end, "timed out waiting for {what}");
        }
    }

    /// When file `file` first reached `offset` bytes (to within one sample).
    fn reached(&self, file: usize, offset: u64) -> Option<f64> {
        self.samples
            .iter()
            .find(|(_, s)| s[file] >= offset)
            .map(|(t, _)| *t)
    }

    /// Bursts of output of file `file` between `from` and `to` seconds: runs of growth with
    /// no pause longer than 200 ms, as (start time, bytes).
    fn bursts(&self, file: usize, from: f64, to: f64) -> Vec<(f64, u64)> {
        let mut out: Vec<(f64, u64)> = Vec::new();
        let mut last_growth = f64::NEG_INFINITY;
        for pair in self.samples.windows(2) {
            let ((_, a), (t, b)) = (&pair[0], &pair[1]);
            if *t < from || *t > to || b[file] <= a[file] {
                continue;
            }
            let grew = b[file] - a[file];
            match out.last_mut() {
                Some(burst) if *t - last_growth <= 0.2 => burst.1 += grew,
                _ => out.push((*t, grew)),
            }
            last_growth = *t;
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// A terminal model just large enough for what crossterm sends: cursor positioning, SGR
// (ignored: colours are not compared), erase, private modes, UTF-8 text.

#[derive(Clone)]
struct Screen {
    rows: Vec<Vec<char>>,
    row: usize,
    col: usize,
}

/// Where a frame's bytes went: to cells of a screen row (with the cursor moves and colours
/// that put them there), or to framing (synchronized-update brackets, cursor visibility,
/// clearing, the alternate screen).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Part {
    Row(usize),
    Framing,
}

/// One frame: everything up to and including the end of a synchronized update.
struct Frame {
    /// Offset just past the frame in the byte stream.
    end: usize,
    bytes: usize,
    by_part: BTreeMap<Part, usize>,
    /// The screen after the frame.
    after: Screen,
    /// Rows whose text changed, with the first and last changed column.
    changed: BTreeMap<usize, (usize, usize)>,
}

impl Screen {
    fn new(w: usize, h: usize) -> Self {
        Screen {
            rows: vec![vec![' '; w]; h],
            row: 0,
            col: 0,
        }
    }

    fn text(&self, row: usize) -> String {
        self.rows[row].iter().filter(|c| **c != '\0').collect()
    }

    fn put(&mut self, c: char) {
        let w = c.width().unwrap_or(0);
        let width = self.rows[0].len();
        if w == 0 || self.row >= self.rows.len() || self.col + w > width {
            return;
        }
        self.rows[self.row][self.col] = c;
        if w == 2 {
            self.rows[self.row][self.col + 1] = '\0';
        }
        self.col += w;
    }

    /// Applies one CSI sequence; returns whether it positioned the cursor or styled text.
    fn csi(&mut self, private: bool, params: &str, last: u8) -> bool {
        let n: Vec<usize> = params.split(';').map(|p| p.parse().unwrap_or(0)).collect();
        let arg =
            |i: usize, default: usize| n.get(i).copied().filter(|v| *v > 0).unwrap_or(default);
        let (h, w) = (self.rows.len(), self.rows[0].len());
        match (private, last) {
            (false, b'H' | b'f') => {
                self.row = (arg(0, 1) - 1).min(h - 1);
                self.col = (arg(1, 1) - 1).min(w - 1);
            }
            (false, b'A') => self.row = self.row.saturating_sub(arg(0, 1)),
            (false, b'B') => self.row = (self.row + arg(0, 1)).min(h - 1),
            (false, b'C') => self.col = (self.col + arg(0, 1)).min(w - 1),
            (false, b'D') => self.col = self.col.saturating_sub(arg(0, 1)),
            (false, b'm') => {}
            (false, b'J') => {
                if n.first() == Some(&2) || n.first() == Some(&3) {
                    self.rows = vec![vec![' '; w]; h];
                }
                return false;
            }
            (false, b'K') => {
                let from = if n.first() == Some(&2) { 0 } else { self.col };
                self.rows[self.row][from..].fill(' ');
                return false;
            }
            _ => return false,
        }
        true
    }
}

/// Replays `stream` on a `w`x`h` screen, frame by frame. Bytes after the last complete
/// frame are left out.
fn replay(stream: &[u8], w: usize, h: usize) -> Vec<Frame> {
    let mut screen = Screen::new(w, h);
    let mut frames = Vec::new();
    let mut before = screen.clone();
    let mut by_part: BTreeMap<Part, usize> = BTreeMap::new();
    let mut part = Part::Framing;
    let mut start = 0;
    let mut i = 0;
    while i < stream.len() {
        let from = i;
        let mut attributed = part;
        if stream[i] == 0x1b && stream.get(i + 1) == Some(&b'[') {
            let mut j = i + 2;
            let private = matches!(stream.get(j), Some(b'?' | b'>' | b'<' | b'='));
            if private {
                j += 1;
            }
            while j < stream.len() && !(0x40..=0x7e).contains(&stream[j]) {
                j += 1;
            }
            let Some(&last) = stream.get(j) else { break };
            let params = String::from_utf8_lossy(&stream[i + 2 + usize::from(private)..j]);
            if screen.csi(private, &params, last) {
                part = Part::Row(screen.row);
                attributed = part;
            } else {
                attributed = Part::Framing;
            }
            i = j + 1;
        } else if stream[i] == 0x1b && stream.get(i + 1) == Some(&b']') {
            // OSC (title, clipboard, notifications): up to BEL or ST.
            let mut j = i + 2;
            while j < stream.len() && stream[j] != 0x07 && !stream[j..].starts_with(b"\x1b\\") {
                j += 1;
            }
            i = (j + if stream.get(j) == Some(&0x07) { 1 } else { 2 }).min(stream.len());
            attributed = Part::Framing;
        } else if stream[i] == 0x1b {
            i += if matches!(stream.get(i + 1), Some(b'(' | b')')) {
                3
            } else {
                2
            };
            attributed = Part::Framing;
        } else if stream[i] < 0x20 || stream[i] == 0x7f {
            match stream[i] {
                b'\r' => screen.col = 0,
                b'\n' => screen.row = (screen.row + 1).min(h - 1),
                0x08 => screen.col = screen.col.saturating_sub(1),
                _ => {}
            }
            i += 1;
        } else {
            let len = match stream[i] {
                0xf0.. => 4,
                0xe0.. => 3,
                0xc0.. => 2,
                _ => 1,
            };
            let end = (i + len).min(stream.len());
            if let Ok(s) = std::str::from_utf8(&stream[i..end]) {
                s.chars().for_each(|c| screen.put(c));
            }
            attributed = Part::Row(screen.row);
            i = end;
        }
        *by_part.entry(attributed).or_default() += i - from;
        if stream[from..i] == *SYNC_END {
            let changed = (0..h)
                .filter_map(|r| {
                    let cols: Vec<usize> = (0..w)
                        .filter(|&c| before.rows[r][c] != screen.rows[r][c])
                        .collect();
                    Some((r, (*cols.first()?, *cols.last()?)))
                })
                .collect();
            frames.push(Frame {
                end: i,
                bytes: i - start,
                by_part: std::mem::take(&mut by_part),
                after: screen.clone(),
                changed,
            });
            before = screen.clone();
            start = i;
            part = Part::Framing;
        }
    }
    frames
}

// ---------------------------------------------------------------------------------------
// The measurement at one size

/// A Harness execution, as `flightdeck list executions -o json` gives it.
struct Candidate {
    project: String,
    id: String,
    name: String,
    run: u64,
}

#[derive(Clone, Copy)]
enum Kind {
    Running,
    Waiting,
}

impl Kind {
    fn status(self) -> &'static str {
        match self {
            Kind::Running => "running",
            Kind::Waiting => "waiting",
        }
    }
}

struct Change {
    /// The frames the abort caused (the row's status, or the header's counts, moved).
    caused: usize,
    /// Of those, the bytes that went to the aborted execution's row.
    row: usize,
    /// The header's counts changed too.
    header: bool,
    /// Every byte from the abort to AFTER past the change, less the idle rate.
    window_net: f64,
    /// The `watch` refresh that first showed the new status.
    watch: Option<u64>,
}

struct Report {
    size: (usize, usize),
    first_frame: usize,
    full_repaint: usize,
    idle_per_s: f64,
    idle_frames_per_s: f64,
    changes: Vec<Change>,
    watch: Option<WatchIdle>,
}

struct WatchIdle {
    first: u64,
    unchanged: u64,
}

struct Run {
    /// Dropped before `dir`, which holds its socket: the server cannot be told to stop
    /// once the socket is gone.
    tmux: Tmux,
    dir: tempfile::TempDir,
    config: PathBuf,
    harness: Harness,
    time: Timeline,
    fd: PathBuf,
    size: (usize, usize),
    watch: bool,
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

/// The line of the `watch` pane listing `c`.
fn watch_line(tmux: &Tmux, c: &Candidate) -> Option<String> {
    let run = format!("#{}", c.run);
    tmux.run(&["capture-pane", "-p", "-t", "watch"])
        .lines()
        .find(|l| l.contains(&c.name) && l.split_whitespace().any(|w| w == run))
        .map(str::to_owned)
}

fn row_of(screen: &Screen, c: &Candidate) -> Option<usize> {
    let run = format!("#{}", c.run);
    (0..screen.rows.len()).find(|&r| {
        let text = screen.text(r);
        text.contains(&c.name) && text.split_whitespace().any(|w| w == run)
    })
}

/// The part of a row before the pipeline name: selection marker and status.
fn status_part(screen: &Screen, row: usize, name: &str) -> String {
    let text = screen.text(row);
    let at = text.find(name).unwrap_or(text.len());
    text[..at]
        .trim_matches(|c: char| c == '│' || c.is_whitespace())
        .to_owned()
}

impl Run {
    fn frames(&self) -> Vec<Frame> {
        replay(&read(&self.fd), self.size.0, self.size.1)
    }

    /// The newest Harness execution in `kind`'s state whose row is on both screens, and not
    /// the selected one (whose detail would change too).
    fn candidate(&self, kind: Kind, screen: &Screen) -> (Candidate, usize) {
        let out = Command::new(BIN)
            .arg("--config")
            .arg(&self.config)
            .args(["list", "executions", "--backend", "harness", "-o", "json"])
            .env("FLIGHTDECK_SIM_TOKEN", TOKEN)
            .env("FLIGHTDECK_AUDIT_LOG", self.dir.path().join("audit.jsonl"))
            .output()
            .expect("flightdeck list");
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let mut matching: Vec<&serde_json::Value> = list["items"]
            .as_array()
            .expect("executions")
            .iter()
            .filter(|e| e["status"]["status"] == kind.status())
            .collect();
        matching.sort_by_key(|e| std::cmp::Reverse(e["started"].as_str().map(str::to_owned)));
        matching
            .into_iter()
            .filter_map(|e| {
                Some(Candidate {
                    project: e["project"].as_str()?.to_owned(),
                    id: e["id"].as_str()?.to_owned(),
                    name: e["pipeline_name"].as_str()?.to_owned(),
                    run: e["run_number"].as_u64()?,
                })
            })
            .find_map(|c| {
                let row = row_of(screen, &c)?;
                let selected = screen.text(row).contains('▶');
                let listed = !self.watch || watch_line(&self.tmux, &c).is_some();
                (!selected && listed).then_some((c, row))
            })
            .unwrap_or_else(|| panic!("no {} Harness execution on screen", kind.status()))
    }

    fn change(&mut self, kind: Kind) -> Change {
        let (w, h) = self.size;
        // The baseline: the idle stream just before, over whole seconds (the clock ticks once
        // a second, so whole seconds hold whole ticks), with the rows that tick now.
        let base = (self.time.now(), self.time.size(0));
        self.time.pause(BASELINE);
        let idle_per_s = (self.time.size(0) - base.1) as f64 / (self.time.now() - base.0);
        let frames = self.frames();
        let screen = frames.last().expect("frames").after.clone();
        let (target, row) = self.candidate(kind, &screen);
        let status_before = status_part(&screen, row, &target.name);
        let watch_before = self
            .watch
            .then(|| watch_line(&self.tmux, &target))
            .flatten();
        let seen_before = frames.len();
        let at = self.time.now();
        let offset = self.time.size(0);
        if let Err(e) = self.harness.abort(&target.project, &target.id) {
            panic!("aborting {}: {e}", target.id);
        }
        let aborted = self.time.now();
        let mut watch_seen = None;
        let (tmux, fd, watching) = (&self.tmux, &self.fd, self.watch);
        self.time.until("the new status on screen", |time| {
            if watch_seen.is_none() && watching && watch_line(tmux, &target) != watch_before {
                watch_seen = Some(time.now());
            }
            let shown = replay(&read(fd), w, h)
                .last()
                .is_some_and(|f| status_part(&f.after, row, &target.name) != status_before);
            shown && (watch_seen.is_some() || !watching)
        });
        // The window: whole seconds from the abort, at least AFTER past the change.
        let seconds = (self.time.now() - at + AFTER.as_secs_f64()).ceil();
        self.time
            .pause(Duration::from_secs_f64(at + seconds - self.time.now()));
        let end = (self.time.now(), self.time.size(0));
        let frames = self.frames();
        let window_bytes = end.1 - offset;
        let window_net = window_bytes as f64 - idle_per_s * seconds;
        println!(
            "\n{w}x{h}: aborted {} execution {} #{} (screen row {row}, {:?}) at {:.2} s",
            kind.status(),
            target.name,
            target.run,
            status_before,
            at
        );
        println!(
            "  every byte in the {seconds:.0} s from the abort: {window_bytes}; less {idle_per_s:.0} bytes/s idle (the {:.0} s before): {window_net:.0}",
            BASELINE.as_secs_f64()
        );
        let (mut caused, mut row_bytes, mut header) = (0, 0, false);
        let mut previous = &frames[seen_before - 1].after;
        for f in &frames[seen_before..] {
            let offset_ms = (self.time.reached(0, f.end as u64).unwrap_or(end.0) - at) * 1e3;
            let status_moved = status_part(previous, row, &target.name)
                != status_part(&f.after, row, &target.name);
            let header_moved = previous.text(0) != f.after.text(0);
            if status_moved || header_moved {
                caused += f.bytes;
                row_bytes += f.by_part.get(&Part::Row(row)).copied().unwrap_or(0);
                header |= header_moved;
            }
            if !(status_moved || header_moved) {
                println!(
                    "    +{offset_ms:5.0} ms  frame of {:4} bytes: the clock (durations and ages in {} rows)",
                    f.bytes,
                    f.changed.len()
                );
                previous = &f.after;
                continue;
            }
            println!(
                "    +{offset_ms:5.0} ms  frame of {:4} bytes, caused by the abort:",
                f.bytes
            );
            for (r, (a, b)) in &f.changed {
                let text: String = f.after.rows[*r][*a..=*b]
                    .iter()
                    .filter(|c| **c != '\0')
                    .collect();
                let bytes = f.by_part.get(&Part::Row(*r)).copied().unwrap_or(0);
                let what = match *r {
                    r if r == row => "the aborted execution",
                    0 => "header",
                    _ => "another row",
                };
                println!(
                    "             {bytes:4} bytes  row {r:2} cols {a:3}-{b:3}  {what}: {text:?}"
                );
            }
            let framing = f.by_part.get(&Part::Framing).copied().unwrap_or(0);
            println!("             {framing:4} bytes  framing (synchronized update, cursor)");
            previous = &f.after;
        }
        let watch = watch_seen.map(|seen| {
            // The refresh that showed it is the one nearest to when it was seen: refreshes
            // are 2 s apart, and the pane (read by capture-pane) and the piped copy of its
            // bytes (sized by the timeline) lag each other by a little either way.
            let bursts = self.time.bursts(1, aborted, end.0);
            let shown = bursts
                .iter()
                .min_by(|a, b| (a.0 - seen).abs().total_cmp(&(b.0 - seen).abs()))
                .map_or(0, |b| b.1);
            println!(
                "  watch: refreshes after the abort {:?} (time s, bytes); the one that showed it: {shown} bytes, line now {:?}",
                bursts,
                watch_line(&self.tmux, &target).unwrap_or_default()
            );
            shown
        });
        Change {
            caused,
            row: row_bytes,
            header,
            window_net,
            watch,
        }
    }
}

fn measure(size: (usize, usize), watch: bool) -> Report {
    let (w, h) = size;
    let dir = tempfile::tempdir().expect("temp dir");
    let (_sim, config) = simulator(dir.path());
    let harness = Harness::from_config(&config);
    let fd = dir.path().join("flightdeck.bytes");
    let watch_bytes = dir.path().join("watch.bytes");
    let tmux = Tmux {
        socket: dir.path().join("tmux.sock"),
    };
    tmux.pane(
        "fd",
        size,
        &fd,
        &format!(
            "exec env FLIGHTDECK_SIM_TOKEN='{TOKEN}' FLIGHTDECK_AUDIT_LOG='{}' '{BIN}' --config '{}'",
            dir.path().join("audit.jsonl").display(),
            config.display()
        ),
    );
    if watch {
        let script = dir.path().join("list.sh");
        std::fs::write(&script, harness.listing_script()).expect("script");
        tmux.pane(
            "watch",
            size,
            &watch_bytes,
            &format!(
                "exec env FLIGHTDECK_SIM_TOKEN='{TOKEN}' watch -n 2 sh '{}'",
                script.display()
            ),
        );
    }
    let mut run = Run {
        time: Timeline::new(vec![fd.clone(), watch_bytes]),
        dir,
        config,
        harness,
        tmux,
        fd,
        size,
        watch,
    };
    run.time
        .until("the first frame", |_| !run_frames_empty(&run.fd, size));
    run.time.pause(SETTLE);
    let first_frame = run.frames()[0].bytes;

    // Full repaint: one column narrower, then back; the second resize's frame clears the
    // screen and draws every cell of the same dashboard again.
    let (narrower, ws, hs) = ((w - 1).to_string(), w.to_string(), h.to_string());
    run.tmux
        .run(&["resize-window", "-t", "fd", "-x", &narrower, "-y", &hs]);
    run.time.pause(Duration::from_millis(500));
    let before = run.frames().len();
    run.tmux
        .run(&["resize-window", "-t", "fd", "-x", &ws, "-y", &hs]);
    run.time.until("the repaint", |_| {
        replay(&read(&run.fd), w, h).len() > before
    });
    let full_repaint = run.frames()[before].bytes;
    run.time.pause(Duration::from_secs(1));

    let from = (run.time.now(), run.time.size(0), run.frames().len());
    run.time.pause(IDLE);
    let to = (run.time.now(), run.time.size(0), run.frames().len());
    let span = to.0 - from.0;
    let idle_per_s = (to.1 - from.1) as f64 / span;
    let idle_frames_per_s = (to.2 - from.2) as f64 / span;
    let watch = watch.then(|| {
        let mut idle: Vec<u64> = run
            .time
            .bursts(1, from.0, to.0)
            .iter()
            .map(|b| b.1)
            .collect();
        idle.sort_unstable();
        println!("\n{w}x{h}: watch refreshes while idle: {idle:?} bytes");
        WatchIdle {
            first: run.time.bursts(1, 0.0, from.0).first().map_or(0, |b| b.1),
            unchanged: idle.get(idle.len() / 2).copied().unwrap_or(0),
        }
    });
    let changes = [Kind::Running, Kind::Waiting]
        .into_iter()
        .map(|kind| run.change(kind))
        .collect();
    Report {
        size,
        first_frame,
        full_repaint,
        idle_per_s,
        idle_frames_per_s,
        changes,
        watch,
    }
}

fn run_frames_empty(fd: &Path, (w, h): (usize, usize)) -> bool {
    replay(&read(fd), w, h).is_empty()
}

fn main() {
    if !have("tmux", "-V") {
        println!("tmux is missing: nothing measured (install tmux)");
        return;
    }
    let missing: Vec<&str> = [
        ("curl", "--version"),
        ("jq", "--version"),
        ("watch", "--version"),
    ]
    .into_iter()
    .filter(|(tool, flag)| !have(tool, flag))
    .map(|(tool, _)| tool)
    .collect();
    if !missing.is_empty() {
        println!(
            "missing {}: the watch + curl + jq comparison is not measured",
            missing.join(", ")
        );
    }
    let reports: Vec<Report> = SIZES
        .into_iter()
        .map(|size| measure(size, missing.is_empty()))
        .collect();
    println!();
    table(&reports);
}

/// The figures of both sizes side by side, with the ratios the issue asks for.
fn table(reports: &[Report]) {
    let both = |f: &dyn Fn(&Report) -> String| -> Vec<String> { reports.iter().map(f).collect() };
    let not_measured = || "not measured".to_owned();
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    for (i, kind) in [Kind::Running, Kind::Waiting].into_iter().enumerate() {
        let what = match kind {
            Kind::Running => "flightdeck, a running row aborted",
            Kind::Waiting => "flightdeck, a waiting row aborted",
        };
        let header = both(&|r| {
            if r.changes[i].header {
                "header counts too"
            } else {
                "row only"
            }
            .to_owned()
        });
        rows.push((
            format!("{what} ({})", header[0]),
            both(&|r| r.changes[i].caused.to_string()),
        ));
        rows.push((
            "  of which the row itself".to_owned(),
            both(&|r| r.changes[i].row.to_string()),
        ));
        rows.push((
            "  the window around it, net of the idle rate".to_owned(),
            both(&|r| format!("{:.0}", r.changes[i].window_net)),
        ));
    }
    rows.push((
        "flightdeck full repaint (resized back to the same size)".to_owned(),
        both(&|r| r.full_repaint.to_string()),
    ));
    rows.push((
        "flightdeck first frame (startup, before any data)".to_owned(),
        both(&|r| r.first_frame.to_string()),
    ));
    rows.push((
        "flightdeck idle, bytes/s (the clock only)".to_owned(),
        both(&|r| format!("{:.0}", r.idle_per_s)),
    ));
    rows.push((
        "flightdeck idle, frames/s".to_owned(),
        both(&|r| format!("{:.2}", r.idle_frames_per_s)),
    ));
    rows.push((
        "watch -n 2: first screen".to_owned(),
        both(&|r| {
            r.watch
                .as_ref()
                .map_or_else(not_measured, |w| w.first.to_string())
        }),
    ));
    for (i, what) in ["running", "waiting"].into_iter().enumerate() {
        rows.push((
            format!("watch -n 2: refresh showing the {what} row aborted"),
            both(&|r| {
                r.changes[i]
                    .watch
                    .map_or_else(not_measured, |b| b.to_string())
            }),
        ));
    }
    rows.push((
        "watch -n 2: refresh with nothing changed".to_owned(),
        both(&|r| {
            r.watch
                .as_ref()
                .map_or_else(not_measured, |w| w.unchanged.to_string())
        }),
    ));
    rows.push((
        "flightdeck one-row change / full repaint".to_owned(),
        both(&|r| {
            format!(
                "{:.1}%",
                100.0 * r.changes[0].caused as f64 / r.full_repaint as f64
            )
        }),
    ));
    rows.push((
        "flightdeck one-row change / watch refresh showing it".to_owned(),
        both(&|r| {
            r.changes[0].watch.map_or_else(not_measured, |b| {
                format!("{:.1}x", r.changes[0].caused as f64 / b as f64)
            })
        }),
    ));
    rows.push((
        "flightdeck idle bytes per 2 s / watch unchanged refresh".to_owned(),
        both(&|r| {
            r.watch.as_ref().map_or_else(not_measured, |w| {
                format!("{:.1}x", 2.0 * r.idle_per_s / w.unchanged as f64)
            })
        }),
    ));
    rows.push((
        "flightdeck full repaint / watch first screen".to_owned(),
        both(&|r| {
            r.watch.as_ref().map_or_else(not_measured, |w| {
                format!("{:.1}x", r.full_repaint as f64 / w.first as f64)
            })
        }),
    ));
    let sizes = both(&|r| format!("{}x{}", r.size.0, r.size.1));
    println!(
        "{:<62} {:>12} {:>12}",
        "bytes written to the pty", sizes[0], sizes[1]
    );
    for (label, cells) in rows {
        println!("{label:<62} {:>12} {:>12}", cells[0], cells[1]);
    }
    println!(
        "(a window can come out below its frames: an aborted row's duration stops ticking, so \
         the rest of the window writes less than the baseline did)"
    );
}
