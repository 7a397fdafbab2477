//! Application state. `App::update` is pure: it takes a message and the current time and
//! returns effects for the service; it never does I/O. Drawing reads `&App` only.

mod clock;
mod cursor;
mod dialog;
mod filter;
mod form;
mod fuzzy;
mod gates;
mod health;
mod keymap;
mod links;
mod lists;
mod logs;
mod marks;
mod mouse;
mod notify;
mod offers;
mod palette;
mod runs;
mod sort;
mod update;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crossterm::event::KeyEvent;
use jiff::Timestamp;

pub use clock::Clock;
pub use cursor::{Cursor, RowKey};
pub use dialog::{
    Answer, BatchDialog, BulkStartDialog, ControlDialog, ControlDone, ControlRun, DecisionDialog,
    Dialog, Outcome, Stages, StartDialog, StartPhase, Verb, WHAT as ABORT_WHAT,
};
pub use filter::{Filter, SavedFilter};
pub use form::{Field, FieldKind, Focus, Form};
pub use gates::{Blocked, Gates, PendingStart, Settled};
pub use health::{
    BackendState, Health, Known, Read, STALE_AFTER, Unknown, fresh_bound, is_late, reason,
};
pub use keymap::{Action, Key, Keymap, Section};
pub use links::{Hyperlink, Linked};
pub use logs::{LogView, no_logs, offers_logs};
pub use mouse::{Pointer, WHEEL_ROWS};
pub use notify::Alerts;
pub use offers::Offer;
pub use palette::{Palette, Target as PaletteTarget};
pub use runs::Runs;
pub use sort::{Sort, columns as sort_columns};

use crate::domain::{
    Approval, BackendKind, BackendName, ExecRef, Execution, ExecutionDetail, ItemKey, Pipeline,
};
use crate::service::{Command, Intervals, Reply};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Pipelines,
    Executions,
    Approvals,
    Audit,
}

impl Pane {
    pub const ALL: [Pane; 4] = [
        Pane::Pipelines,
        Pane::Executions,
        Pane::Approvals,
        Pane::Audit,
    ];

    pub fn index(self) -> usize {
        match self {
            Pane::Pipelines => 0,
            Pane::Executions => 1,
            Pane::Approvals => 2,
            Pane::Audit => 3,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Pipelines => "Pipelines",
            Pane::Executions => "Executions",
            Pane::Approvals => "Approvals",
            Pane::Audit => "Audit",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    List,
    Detail,
    /// The log of the current execution (`App::logs`).
    Logs,
}

/// What takes keys now, topmost first: an open dialog, the palette, the `/` prompt, the
/// log view, else the panes. Each takes its keys from its own keymap section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Dialog,
    Palette,
    Filter,
    Logs,
    Panes,
}

impl Layer {
    /// The keymap section the layer's keys come from.
    pub fn section(self) -> Section {
        match self {
            Layer::Dialog => Section::Dialog,
            Layer::Palette | Layer::Filter => Section::Prompt,
            Layer::Logs => Section::LogView,
            Layer::Panes => Section::Panes,
        }
    }
}

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// The mouse, in the model's words (see [`Pointer`]).
    Pointer(Pointer),
    Reply(Reply),
    /// The coarse clock: ages, durations and countdowns move.
    Tick,
    Resize {
        width: u16,
        height: u16,
    },
    /// A frame was drawn; what drawing found out (see [`Drawn`]).
    Drawn(Drawn),
    /// An effect could not be carried out (the audit log or the terminal refused a write).
    EffectFailed(String),
}

/// What drawing a frame found out, handed back to the app by the event loop: drawing reads
/// `&App` only, and this is the one way its findings reach the model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drawn {
    /// The first moment a time drawn in the frame reads differently.
    pub next_change: Option<Timestamp>,
    /// The first visible row of each pane's list, as drawn (the selection kept in view,
    /// the window moved as little as possible).
    pub scroll: [usize; 4],
    /// The last line the detail view can scroll to, when the detail was drawn: its content
    /// minus the lines that fit.
    pub detail_bottom: Option<u16>,
    /// The web UI link the frame shows, and where: made clickable after the frame.
    pub link: Option<Hyperlink>,
    /// The terminal was cleared after the frame: the next frame must be drawn whatever
    /// else changed.
    pub repaint: bool,
}

/// Work for the outside world, produced by `update`.
#[derive(Debug, Clone)]
pub enum Effect {
    Send {
        backend: BackendName,
        command: Command,
    },
    /// Append to the audit log.
    Audit(Box<crate::audit::Entry>),
    /// Put text on the clipboard of the terminal the user sits at (OSC 52: works over SSH).
    Clipboard(String),
    /// Ring the bell and/or raise a desktop notification (OSC 9/777), as the notice says.
    Notify(crate::alert::Notice),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashLevel {
    Info,
    Success,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Flash {
    pub text: String,
    pub level: FlashLevel,
    pub at: Timestamp,
}

/// How long a flash message stays on the status line.
pub const FLASH_FOR: Duration = Duration::from_secs(8);
/// How often the event loop sends [`Msg::Tick`].
pub const TICK: Duration = Duration::from_secs(1);

/// The detail of the selected execution, as last read.
#[derive(Debug, Clone)]
pub struct DetailData {
    pub backend: BackendName,
    pub exec: ExecRef,
    pub result: Result<Box<ExecutionDetail>, String>,
}

/// Static facts about one configured backend.
#[derive(Debug, Clone)]
pub struct BackendInfo {
    pub name: BackendName,
    pub kind: BackendKind,
    pub production: bool,
    pub read_only: bool,
    pub insecure: bool,
    /// The config's `identity`: who acts, where the backend cannot say.
    pub identity: Option<String>,
}

/// What the app is built with: the configuration in force and what was read at startup.
/// `App::new` reads nothing itself.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub backends: Vec<BackendInfo>,
    pub intervals: Intervals,
    /// `--read-only`: every mutating action is removed.
    pub read_only: bool,
    pub keymap: Keymap,
    /// `[filter.NAME]` from the config.
    pub saved_filters: Vec<SavedFilter>,
    pub alerts: Alerts,
    /// The audit log's recent entries, oldest first.
    pub audit: Vec<crate::audit::Entry>,
    /// The local account, stamped on every audit entry (read once, at startup:
    /// `write::local_user`).
    pub user: String,
}

pub struct App {
    pub keymap: Keymap,
    pub intervals: Intervals,
    pub backends: Vec<BackendState>,
    pub pipelines: Vec<Pipeline>,
    pub executions: Vec<Execution>,
    pub approvals: Vec<Approval>,
    pub detail: Option<DetailData>,
    /// The log view, while open.
    pub logs: Option<LogView>,
    /// The log view's `/` search prompt, while open.
    pub log_search: Option<tui_input::Input>,
    pub pane: Pane,
    pub view: View,
    pub cursors: HashMap<Pane, Cursor>,
    /// First visible row per pane, as last drawn ([`Msg::Drawn`]): the next frame moves
    /// the window from there as little as possible to keep the selection in view.
    pub scroll: [usize; 4],
    pub dialog: Option<Dialog>,
    /// First line shown in the detail view; kept within `detail_bottom`.
    pub detail_scroll: u16,
    /// The last line the detail view can scroll to, as last drawn; `None` before the
    /// detail was drawn (drawing clamps then).
    pub detail_bottom: Option<u16>,
    pub flash: Option<Flash>,
    /// What this session did to each gate: marks, decisions in flight, decided, outcome
    /// unknown, and starts awaiting their reply. Exactly-once lives there.
    gates: Gates,
    /// The run ledger: control actions in flight or unknown, and execution marks.
    runs: Runs,
    /// Mutating actions, oldest first: loaded from the log at startup, then this session's.
    pub audit: Vec<crate::audit::Entry>,
    /// Pipelines marked for a bulk start (`space`, `V`, `*` on the Pipelines pane).
    pub pipeline_marks: HashSet<ItemKey>,
    /// Where `V` on Executions or Pipelines marks from: the row last marked there (gates
    /// keep theirs in the gate ledger).
    mark_anchor: Option<(Pane, ItemKey)>,
    /// The `/` filter in force, and its text.
    pub filter: Filter,
    pub filter_text: String,
    /// The filter being typed, when the `/` prompt is open.
    pub filter_input: Option<tui_input::Input>,
    /// `[filter.NAME]` from the config: `@NAME` in `/`, and palette entries.
    pub saved_filters: Vec<SavedFilter>,
    /// The `:` palette, when open.
    pub palette: Option<Palette>,
    /// How notifications reach the user beyond the status line.
    pub alerts: Alerts,
    /// Executions whose end is notified: started here, or followed with `w`.
    followed: HashSet<notify::Followed>,
    /// The gates each backend listed last; a backend not here has not been read yet.
    gates_seen: HashMap<BackendName, HashSet<ItemKey>>,
    /// Rows shown per pane: indices into the pane's list, filtered and in display order.
    /// Rebuilt when data or the filter change, never per frame.
    views: [Vec<usize>; 4],
    /// Each pipeline's newest execution in the executions list (an index into it): the
    /// last run seen, for backends whose pipelines list does not report their last run.
    last_seen: HashMap<ItemKey, usize>,
    views_stale: bool,
    /// The sort each pane is shown in (`o`, `O`).
    sorts: [Sort; 4],
    /// `f`: list updates are held back while reading.
    pub frozen: bool,
    held: Vec<Reply>,
    /// The write rules (read-only, confirmation, audit entries), with the local user read
    /// once here.
    pub writes: crate::write::Writes,
    /// The time of the latest message.
    pub now: Timestamp,
    /// The time the screen tells ages, durations and countdowns from: it moves on clock
    /// ticks (see [`App::update`]), so a reply landing between two ticks redraws what it
    /// changed, not every running duration that moved since the tick. It also knows when
    /// the last frame's times move, so a tick before then draws nothing.
    pub clock: Clock,
    pub page: usize,
    pub should_quit: bool,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    /// A backend's first data arrived: drawn at once rather than at the next frame's turn,
    /// so a dashboard that is starting shows each backend as soon as it answers.
    pub draw_now: bool,
    epoch: u64,
    /// What the service was last told the user is on (see `sync_selection`).
    selected_exec: Option<(BackendName, ExecRef)>,
    selected_open: bool,
}

impl App {
    pub fn new(settings: Settings) -> App {
        let Settings {
            backends,
            intervals,
            read_only,
            keymap,
            saved_filters,
            alerts,
            audit,
            user,
        } = settings;
        let guards = backends
            .iter()
            .map(|b| crate::write::Guard {
                name: b.name.clone(),
                kind: b.kind,
                read_only: b.read_only,
                production: b.production,
                identity: b.identity.clone(),
            })
            .collect();
        let writes = crate::write::Writes::new(user, crate::write::Source::Tui, read_only, guards);
        App {
            keymap,
            writes,
            intervals,
            backends: backends.into_iter().map(BackendState::new).collect(),
            pipelines: Vec::new(),
            executions: Vec::new(),
            approvals: Vec::new(),
            detail: None,
            logs: None,
            log_search: None,
            pane: Pane::Executions,
            view: View::List,
            cursors: HashMap::new(),
            scroll: Default::default(),
            dialog: None,
            detail_scroll: 0,
            detail_bottom: None,
            flash: None,
            gates: Gates::default(),
            runs: Runs::default(),
            audit,
            pipeline_marks: HashSet::new(),
            mark_anchor: None,
            filter: Filter::default(),
            filter_text: String::new(),
            filter_input: None,
            saved_filters,
            palette: None,
            alerts,
            followed: HashSet::new(),
            gates_seen: HashMap::new(),
            views: Default::default(),
            last_seen: HashMap::new(),
            views_stale: true,
            sorts: Default::default(),
            frozen: false,
            held: Vec::new(),
            now: Timestamp::UNIX_EPOCH,
            clock: Clock::new(Timestamp::UNIX_EPOCH),
            page: 10,
            should_quit: false,
            dirty: true,
            draw_now: false,
            epoch: 0,
            selected_exec: None,
            selected_open: false,
        }
    }

    /// The layer that takes keys now.
    pub fn layer(&self) -> Layer {
        if self.dialog.is_some() {
            Layer::Dialog
        } else if self.palette.is_some() {
            Layer::Palette
        } else if self.filter_input.is_some() {
            Layer::Filter
        } else if self.view == View::Logs {
            Layer::Logs
        } else {
            Layer::Panes
        }
    }

    /// The gate ledger: what this session did to each gate.
    pub fn gates(&self) -> &Gates {
        &self.gates
    }

    /// The ledger to change directly: for tests and rigs that set marks up without keys.
    pub fn gates_mut(&mut self) -> &mut Gates {
        &mut self.gates
    }

    pub fn runs(&self) -> &Runs {
        &self.runs
    }

    pub fn backend(&self, name: &str) -> Option<&BackendState> {
        self.backends.iter().find(|b| &*b.name == name)
    }

    /// Mutations are off globally or for this backend.
    pub fn is_read_only(&self, backend: &str) -> bool {
        self.writes.is_read_only(backend)
    }

    /// Starts and decisions can be offered here: not under `--read-only`, and not when the
    /// selected row's backend is read-only. The footer and the palette both ask this.
    pub fn writable_here(&self) -> bool {
        !self.writes.all_read_only()
            && self
                .current_backend()
                .is_none_or(|backend| !self.is_read_only(backend))
    }

    /// The rows `pane` shows: indices into its list, filtered, in display order.
    pub fn view(&self, pane: Pane) -> &[usize] {
        &self.views[pane.index()]
    }

    /// Recomputes the rows each pane shows, after data or the filter changed.
    pub(crate) fn rebuild_views(&mut self) {
        if !self.views_stale {
            return;
        }
        self.views_stale = false;
        // The list is newest first (queued on top), so a pipeline's first row is its last run.
        self.last_seen.clear();
        for (i, e) in self.executions.iter().enumerate() {
            self.last_seen
                .entry(ItemKey::new(&e.backend, &e.project, &e.pipeline_id))
                .or_insert(i);
        }
        let f = &self.filter;
        let waiting = crate::domain::Status::new(crate::domain::ExecStatus::Waiting, "waiting");
        let pick = |n: usize, keep: &dyn Fn(usize) -> bool| (0..n).filter(|i| keep(*i)).collect();
        self.views[Pane::Pipelines.index()] = pick(self.pipelines.len(), &|i| {
            let p = &self.pipelines[i];
            // `status:` sees what the LAST RUN column shows.
            let last = p.last_status.as_ref().or_else(|| {
                let seen = self.last_seen.get(&p.key())?;
                Some(&self.executions[*seen].status)
            });
            f.pipeline(p, last)
        });
        self.views[Pane::Executions.index()] =
            pick(self.executions.len(), &|i| f.execution(&self.executions[i]));
        self.views[Pane::Approvals.index()] = pick(self.approvals.len(), &|i| {
            f.approval(&self.approvals[i], &waiting)
        });
        // The audit log is kept oldest first and shown newest first.
        self.views[Pane::Audit.index()] = (0..self.audit.len())
            .rev()
            .filter(|i| f.audit(&self.audit[*i]))
            .collect();
        for pane in [Pane::Pipelines, Pane::Executions, Pane::Approvals] {
            let mut view = std::mem::take(&mut self.views[pane.index()]);
            self.sort_view(pane, &mut view);
            self.views[pane.index()] = view;
        }
    }

    pub(crate) fn mark_views_stale(&mut self) {
        self.views_stale = true;
    }

    /// The newest execution of `p` in the executions list, if any is listed.
    pub fn last_seen_run(&self, p: &Pipeline) -> Option<&Execution> {
        self.executions.get(*self.last_seen.get(&p.key())?)
    }

    /// Identity of every shown row of `pane`, in display order.
    pub fn keys(&self, pane: Pane) -> Vec<RowKey> {
        (0..self.view(pane).len())
            .filter_map(|row| self.key_at(pane, row))
            .collect()
    }

    /// Identity of every shown item of `pane` (pipelines, executions, gates), in display order.
    pub fn item_keys(&self, pane: Pane) -> Vec<ItemKey> {
        self.keys(pane)
            .into_iter()
            .filter_map(|k| match k {
                RowKey::Item(k) => Some(k),
                RowKey::Audit(_) => None,
            })
            .collect()
    }

    /// Identity of the shown row `row` of `pane`.
    pub fn key_at(&self, pane: Pane, row: usize) -> Option<RowKey> {
        let i = *self.view(pane).get(row)?;
        Some(match pane {
            Pane::Pipelines => RowKey::Item(self.pipelines[i].key()),
            Pane::Executions => RowKey::Item(self.executions[i].key()),
            Pane::Approvals => RowKey::Item(self.approvals[i].key()),
            Pane::Audit => RowKey::Audit(i),
        })
    }

    /// The selected row of `pane`, as a position in its view. Cursors are re-anchored at
    /// the end of every update, so their index is current here and drawing costs nothing
    /// per row.
    pub fn selected_index(&self, pane: Pane) -> Option<usize> {
        let len = self.view(pane).len();
        let index = self.cursors.get(&pane).map_or(0, Cursor::index);
        (len > 0).then(|| index.min(len - 1))
    }

    /// The list index of the selected row of `pane`.
    fn selected_item(&self, pane: Pane) -> Option<usize> {
        self.view(pane).get(self.selected_index(pane)?).copied()
    }

    pub fn selected_pipeline(&self) -> Option<&Pipeline> {
        self.pipelines.get(self.selected_item(Pane::Pipelines)?)
    }

    pub fn selected_execution(&self) -> Option<&Execution> {
        self.executions.get(self.selected_item(Pane::Executions)?)
    }

    pub fn selected_approval(&self) -> Option<&Approval> {
        self.approvals.get(self.selected_item(Pane::Approvals)?)
    }

    pub fn selected_audit(&self) -> Option<&crate::audit::Entry> {
        self.audit.get(self.selected_item(Pane::Audit)?)
    }

    /// The backend of the selected row of the current pane.
    pub fn current_backend(&self) -> Option<&str> {
        match self.pane {
            Pane::Pipelines => self.selected_pipeline().map(|p| &*p.backend),
            Pane::Executions => self.selected_execution().map(|e| &*e.backend),
            Pane::Approvals => self.selected_approval().map(|a| &*a.backend),
            Pane::Audit => self.selected_audit().map(|e| e.backend.as_str()),
        }
    }

    /// The selected row's backend, when it is marked `production = true`.
    pub fn current_production(&self) -> Option<&str> {
        self.current_backend()
            .filter(|name| self.backend(name).is_some_and(|b| b.production))
    }

    /// Marked gates the current filter hides.
    pub fn hidden_marks(&self) -> usize {
        let shown: HashSet<ItemKey> = self
            .view(Pane::Approvals)
            .iter()
            .map(|i| self.approvals[*i].key())
            .collect();
        self.gates
            .marks()
            .iter()
            .filter(|k| !shown.contains(*k))
            .count()
    }

    /// The execution the current pane points at, if any.
    pub fn current_exec(&self) -> Option<(BackendName, ExecRef)> {
        match self.pane {
            Pane::Pipelines | Pane::Audit => None,
            Pane::Executions => self
                .selected_execution()
                .map(|e| (e.backend.clone(), e.exec_ref())),
            Pane::Approvals => self
                .selected_approval()
                .map(|a| (a.backend.clone(), a.exec_ref())),
        }
    }

    /// The detail of the current execution, if it has been read.
    pub fn current_detail(&self) -> Option<&DetailData> {
        let (backend, exec) = self.current_exec()?;
        self.detail
            .as_ref()
            .filter(|d| d.backend == backend && d.exec == exec)
    }

    pub fn next_epoch(&mut self) -> u64 {
        self.epoch += 1;
        self.epoch
    }

    pub fn flash(&mut self, level: FlashLevel, text: impl Into<String>) {
        self.flash = Some(Flash {
            text: text.into(),
            level,
            at: self.now,
        });
    }

    /// The flash message, while it is recent (drawing notes when it goes: at `at + FLASH_FOR`).
    pub fn visible_flash(&self) -> Option<&Flash> {
        self.flash.as_ref().filter(|f| {
            Duration::try_from(self.clock.now().duration_since(f.at)).is_ok_and(|d| d < FLASH_FOR)
        })
    }
}
