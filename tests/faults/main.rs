//! Reliability under faults and hostile input, against the simulator: what each injected
//! fault does on the wire (`kinds`), the fault matrix over the whole dashboard below the
//! terminal (`matrix`, on the `rig`).

mod kinds;
mod matrix;
mod rig;
