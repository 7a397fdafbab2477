//! Application state. `App::update` is pure: it takes a message and the current time and
//! returns effects for the service; it never does I/O. Drawing reads `&App` only.

mod cursor;
mod dialog;
mod form;
mod health;
mod keymap;
mod update;

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crossterm::event::KeyEvent;
use jiff::Timestamp;

pub use cursor::Cursor;
pub use dialog::{DecisionDialog, Dialog, StartDialog, StartPhase};
pub use form::{Field, FieldKind, Focus, Form};
pub use health::{BackendState, Health};
pub use keymap::{Action, Key, Keymap};

use crate::domain::{
    Approval, BackendKind, BackendName, DecisionOutcome, ExecRef, Execution, ExecutionDetail,
    ItemKey, Pipeline,
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
}

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Reply(Reply),
    /// The coarse clock: ages, durations and countdowns move.
    Tick,
    Resize {
        width: u16,
        height: u16,
    },
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
}

pub struct App {
    pub keymap: Keymap,
    pub intervals: Intervals,
    /// `--read-only`: every mutating action is removed.
    pub read_only: bool,
    pub backends: Vec<BackendState>,
    pub pipelines: Vec<Pipeline>,
    pub executions: Vec<Execution>,
    pub approvals: Vec<Approval>,
    pub detail: Option<DetailData>,
    pub pane: Pane,
    pub view: View,
    pub cursors: HashMap<Pane, Cursor>,
    /// First visible row per pane; drawing keeps the selection in view and remembers the
    /// window so scrolling moves it as little as possible.
    pub scroll: [Cell<usize>; 4],
    pub dialog: Option<Dialog>,
    /// First line shown in the detail view; drawing clamps it to the content.
    pub detail_scroll: Cell<u16>,
    pub flash: Option<Flash>,
    /// Gates with a decision in flight: no second decision may be sent.
    pub deciding: HashSet<ItemKey>,
    /// Gates decided in this session, shown as such until the backend stops listing them.
    pub decided: HashMap<ItemKey, DecisionOutcome>,
    /// Mutating actions, oldest first: loaded from the log at startup, then this session's.
    pub audit: Vec<crate::audit::Entry>,
    /// Start dialogs awaiting their reply, by epoch: pipeline name and secret-typed inputs,
    /// for the audit entry.
    pending_starts: HashMap<u64, (String, Vec<String>)>,
    /// `f`: list updates are held back while reading.
    pub frozen: bool,
    held: Vec<Reply>,
    pub now: Timestamp,
    pub page: usize,
    pub should_quit: bool,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    epoch: u64,
    selected_exec: Option<(BackendName, ExecRef)>,
}

impl App {
    pub fn new(backends: Vec<BackendInfo>, intervals: Intervals, read_only: bool) -> App {
        App {
            keymap: Keymap::default(),
            intervals,
            read_only,
            backends: backends.into_iter().map(BackendState::new).collect(),
            pipelines: Vec::new(),
            executions: Vec::new(),
            approvals: Vec::new(),
            detail: None,
            pane: Pane::Executions,
            view: View::List,
            cursors: HashMap::new(),
            scroll: Default::default(),
            dialog: None,
            detail_scroll: Cell::new(0),
            flash: None,
            deciding: HashSet::new(),
            decided: HashMap::new(),
            audit: Vec::new(),
            pending_starts: HashMap::new(),
            frozen: false,
            held: Vec::new(),
            now: Timestamp::UNIX_EPOCH,
            page: 10,
            should_quit: false,
            dirty: true,
            epoch: 0,
            selected_exec: None,
        }
    }

    pub fn backend(&self, name: &str) -> Option<&BackendState> {
        self.backends.iter().find(|b| &*b.name == name)
    }

    /// Mutations are off globally or for this backend.
    pub fn is_read_only(&self, backend: &str) -> bool {
        self.read_only || self.backend(backend).is_none_or(|b| b.read_only)
    }

    pub fn keys(&self, pane: Pane) -> Vec<ItemKey> {
        match pane {
            Pane::Pipelines => self.pipelines.iter().map(Pipeline::key).collect(),
            Pane::Executions => self.executions.iter().map(Execution::key).collect(),
            Pane::Approvals => self.approvals.iter().map(Approval::key).collect(),
            // Newest first on screen; entries are only ever appended, so the position from
            // the oldest is a stable identity.
            Pane::Audit => (0..self.audit.len())
                .rev()
                .map(|i| ItemKey(format!("audit\u{1f}{i}")))
                .collect(),
        }
    }

    /// The selected row of `pane`. Cursors are re-anchored at the end of every update, so
    /// their index is current here and drawing costs nothing per row.
    pub fn selected_index(&self, pane: Pane) -> Option<usize> {
        let len = match pane {
            Pane::Pipelines => self.pipelines.len(),
            Pane::Executions => self.executions.len(),
            Pane::Approvals => self.approvals.len(),
            Pane::Audit => self.audit.len(),
        };
        let index = self.cursors.get(&pane).map_or(0, Cursor::index);
        (len > 0).then(|| index.min(len - 1))
    }

    pub fn selected_pipeline(&self) -> Option<&Pipeline> {
        self.pipelines.get(self.selected_index(Pane::Pipelines)?)
    }

    pub fn selected_execution(&self) -> Option<&Execution> {
        self.executions.get(self.selected_index(Pane::Executions)?)
    }

    pub fn selected_approval(&self) -> Option<&Approval> {
        self.approvals.get(self.selected_index(Pane::Approvals)?)
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

    /// The flash message, while it is recent.
    pub fn visible_flash(&self) -> Option<&Flash> {
        self.flash.as_ref().filter(|f| {
            Duration::try_from(self.now.duration_since(f.at)).is_ok_and(|d| d < FLASH_FOR)
        })
    }
}
