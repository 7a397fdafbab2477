//! Reliability under faults: what each injected fault does on the wire (`kinds`).

mod kinds;
