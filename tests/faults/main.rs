//! Reliability under faults and hostile input, against the simulator: what each injected
//! fault does on the wire (`kinds`), the fault matrix over the whole dashboard below the
//! terminal (`matrix`, on the `rig`), many decisions under random faults, exactly once each
//! (`exactly_once`), and property tests of every client against garbled answers (`garbled`).

#[path = "../common/mod.rs"]
mod common;
mod exactly_once;
mod garbled;
mod kinds;
mod matrix;
mod rig;
