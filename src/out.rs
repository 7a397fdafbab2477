//! The command line's one way to the terminal: every line the `flightdeck` binary prints
//! outside the TUI passes through here, so no server text reaches stdout or stderr raw,
//! whoever formatted it and whatever it holds.
//! - text (tables, result lines) is cleaned line by line (`sanitize::clean_lines`);
//! - JSON is written inert (`sanitize::to_json`): exact for scripts, escapes on a terminal;
//! - messages on stderr are cleaned and prefixed `flightdeck: `;
//! - a stdout that was closed under us (`flightdeck list executions | head -1`) ends the
//!   process quietly with [`CLOSED_STDOUT`] instead of a panic.
//!
//! A test below fails if any other file prints with `print!`/`println!`/`eprint!`/
//! `eprintln!`.

use std::io::{self, Write};

/// Exit code when stdout is closed before everything was written: the code a shell gives a
/// process ended by SIGPIPE, so a pipeline reads as it would with any other tool.
pub const CLOSED_STDOUT: u8 = 141;

/// Prints text for people on stdout, every line cleaned.
pub fn text(s: &str) {
    stdout(crate::sanitize::clean_lines(s).as_bytes());
}

/// Prints bytes of our own making (a shell completion script, a man page), which hold no
/// server text, as they are.
pub fn raw(bytes: &[u8]) {
    stdout(bytes);
}

/// Prints one JSON document on stdout.
pub fn json<T: serde::Serialize + ?Sized>(value: &T, pretty: bool) {
    match crate::sanitize::to_json(value, pretty) {
        Ok(mut doc) => {
            doc.push('\n');
            stdout(doc.as_bytes());
        }
        // Exit code 1: nothing was printed, so no script may read success.
        Err(e) => {
            note(&format!("cannot encode the result: {e}"));
            std::process::exit(1);
        }
    }
}

/// A message for the person on stderr (errors, warnings, progress), cleaned.
pub fn note(message: &str) {
    let line = format!("flightdeck: {}\n", crate::sanitize::clean_lines(message));
    // Nothing sensible is left to do when stderr itself is gone.
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

fn stdout(bytes: &[u8]) {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            std::process::exit(i32::from(CLOSED_STDOUT))
        }
        // Exit code 1, as for any other failure to talk to the outside world.
        Err(e) => {
            note(&format!("cannot write to stdout: {e}"));
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    /// This file is the only one that prints: a `println!` elsewhere would bypass the
    /// cleaning (the simulator, a separate program, prints its own banner).
    #[test]
    fn nothing_else_prints() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if !path.ends_with("sim") {
                        dirs.push(path);
                    }
                    continue;
                }
                if path.ends_with("src/out.rs") || path.extension() != Some("rs".as_ref()) {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    if ["print!(", "println!(", "eprint!(", "eprintln!("]
                        .iter()
                        .any(|m| line.contains(m))
                    {
                        offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "print through commands::out:\n{}",
            offenders.join("\n")
        );
    }
}
