//! The man pages: `flightdeck(1)` and one `flightdeck-<subcommand>(1)` per subcommand, built
//! from the same clap definitions as `--help` so the two never disagree. clap_mangen draws
//! the usual sections; this file adds what it cannot know (exit status, environment, files,
//! the dashboard's keys) as real sections instead of its one unaligned `EXTRA`.

use clap::CommandFactory;
use clap_mangen::Man;
use roff::{Roff, bold, italic, roman};

use crate::app::{Keymap, Section};
use crate::cli::{Cli, EXIT_CODES};

/// One man page: its file name (`flightdeck-list.1`) and its roff text.
pub struct Page {
    pub file: String,
    pub roff: Vec<u8>,
}

/// Every page: the root first, then each visible subcommand, depth first
/// (`flightdeck-config.1`, `flightdeck-config-check.1`).
pub fn pages() -> Vec<Page> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Building gives each subcommand its display name (`flightdeck-list`), which is both
    // the page's title and the name other pages link to.
    cmd.build();
    let mut out = Vec::new();
    collect(&cmd, true, &mut out);
    out
}

/// The root page alone, as `flightdeck man` prints it.
pub fn root() -> Vec<u8> {
    pages().swap_remove(0).roff
}

fn collect(cmd: &clap::Command, root: bool, out: &mut Vec<Page>) {
    out.push(page(cmd, root));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, false, out);
    }
}

fn page(cmd: &clap::Command, root: bool) -> Page {
    let man = Man::new(cmd.clone());
    let mut roff = Vec::new();
    // Writing into a Vec cannot fail.
    let mut part = |render: fn(&Man, &mut dyn std::io::Write) -> std::io::Result<()>| {
        render(&man, &mut roff).expect("writing to memory");
    };
    part(Man::render_title);
    part(Man::render_name_section);
    part(Man::render_synopsis_section);
    part(Man::render_description_section);
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        part(Man::render_options_section);
    }
    if cmd.has_subcommands() {
        part(Man::render_subcommands_section);
    }
    let mut extra = Roff::new();
    if root {
        keys(&mut extra);
    }
    if cmd.get_name() == "completions" {
        install(&mut extra);
    }
    exit_status(&mut extra);
    if root {
        environment(&mut extra);
        files(&mut extra);
    }
    see_also(&mut extra, cmd, root);
    extra.to_writer(&mut roff).expect("writing to memory");
    Page {
        file: format!("{}.1", cmd.get_display_name().unwrap_or(cmd.get_name())),
        roff,
    }
}

/// A `.TP` entry: a bold tag, then its text.
fn entry(roff: &mut Roff, tag: &str, text: &str) {
    roff.control("TP", []).text([bold(tag)]).text([roman(text)]);
}

/// `completions --help`'s install steps, as their own section.
fn install(roff: &mut Roff) {
    roff.control("SH", ["INSTALL"]);
    for paragraph in crate::cli::COMPLETION_INSTALL.split("\n\n") {
        roff.control("PP", []);
        roff.control("nf", []);
        roff.text([roman(paragraph)]);
        roff.control("fi", []);
    }
}

/// The codes of `--help`, one entry each, from the same text.
fn exit_status(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    for line in EXIT_CODES.lines().skip(1) {
        let line = line.trim_start();
        if let Some((code, text)) = line.split_once(char::is_whitespace) {
            entry(roff, code, text.trim_start());
        }
    }
}

/// The dashboard's default keys per layer, from the keymap itself (`[keys]` in the config
/// changes them; `?` shows the keys in force).
fn keys(roff: &mut Roff) {
    roff.control("SH", ["KEYS"]);
    roff.text([roman(
        "The dashboard's default keys, by layer. The config's [keys] tables rebind them; \
         ? in the dashboard lists the keys in force.",
    )]);
    let keymap = Keymap::default();
    for section in Section::ALL {
        roff.control("SS", [section.title().as_str()]);
        for (action, labels) in keymap.help_in(section) {
            entry(
                roff,
                &labels.join(", "),
                &format!("{} ({})", action.describe(), action.name()),
            );
        }
    }
}

fn environment(roff: &mut Roff) {
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, text) in [
        (
            "FLIGHTDECK_CONFIG",
            "The config file when --config is not given.",
        ),
        (
            "FLIGHTDECK_AUDIT_LOG",
            "Where the audit log is written instead of the default (see FILES).",
        ),
        (
            "FLIGHTDECK_SIM_TOKEN",
            "The token flightdeck sim accepts (its --token).",
        ),
        (
            "XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_CACHE_HOME",
            "Where the default config file, the audit log and the completion cache live.",
        ),
        (
            "FLIGHTDECK_COMPLETE",
            "Set by the scripts of flightdeck completions: the shell asks for the completions \
             of a command line instead of running it.",
        ),
        (
            "ARGO_SERVER, ARGO_TOKEN, ARGO_NAMESPACE, ARGO_SECURE, ARGO_INSECURE_SKIP_VERIFY, \
             ARGO_BASE_HREF, ARGO_HTTP1",
            "With no config file: one Argo backend, as the argo CLI reads them (ARGO_TOKEN with \
             or without Bearer; namespace default). Ignored when a config file is found.",
        ),
        (
            "NO_COLOR",
            "When set and not empty, the dashboard draws without colour (reverse video and \
             glyphs keep every state readable).",
        ),
        (
            "RUST_LOG",
            "The level of the debug log written with --log (default: debug for flightdeck, \
             warn for the rest).",
        ),
        (
            "USER, LOGNAME",
            "The local account that audit entries name (else the password database).",
        ),
    ] {
        entry(roff, name, text);
    }
    roff.control("PP", []).text([roman(
        "A backend's secrets may name any variable: token = { env = \"NAME\" } in the config.",
    )]);
}

fn files(roff: &mut Roff) {
    roff.control("SH", ["FILES"]);
    for (name, text) in [
        (
            "~/.config/flightdeck/config.toml",
            "The config file ($XDG_CONFIG_HOME/flightdeck/config.toml). A config holding a \
             literal secret, or a key file, that others can read is warned about.",
        ),
        (
            "~/.local/state/flightdeck/audit.jsonl",
            "The audit log, one JSON line per start and decision, from the dashboard and the \
             command line alike ($XDG_STATE_HOME/flightdeck/audit.jsonl, mode 0600).",
        ),
        (
            "~/.cache/flightdeck/complete/",
            "Each backend's pipelines and executions as shell completion last read them, kept \
             60 s ($XDG_CACHE_HOME/flightdeck/complete, mode 0700).",
        ),
    ] {
        entry(roff, name, text);
    }
}

fn see_also(roff: &mut Roff, cmd: &clap::Command, root: bool) {
    roff.control("SH", ["SEE ALSO"]);
    let mut names: Vec<String> = Vec::new();
    if !root {
        names.push("flightdeck(1)".into());
    }
    names.extend(
        cmd.get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| format!("{}(1)", s.get_display_name().unwrap_or(s.get_name()))),
    );
    let mut line = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            line.push(roman(", "));
        }
        line.push(italic(name.as_str()));
    }
    line.push(roman(if root {
        ". The README documents the JSON shapes and each backend's setup."
    } else {
        ""
    }));
    roff.text(line);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(page: &Page) -> String {
        String::from_utf8(page.roff.clone()).unwrap()
    }

    #[test]
    fn every_page_another_page_names_exists() {
        let pages = pages();
        let files: Vec<&str> = pages.iter().map(|p| p.file.as_str()).collect();
        for page in &pages {
            let body = text(page);
            for (at, _) in body.match_indices("flightdeck-") {
                let name: String = body[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                let rest = &body[at + name.len()..];
                // Links are written `name(1)` (roff may escape the hyphen, so strip it).
                if rest.starts_with("(1)") || rest.starts_with("\\fR(1)") {
                    assert!(
                        files.contains(&format!("{name}.1").as_str()),
                        "{} links to {name}(1), which is not generated",
                        page.file
                    );
                }
            }
        }
        for name in [
            "flightdeck.1",
            "flightdeck-start.1",
            "flightdeck-config-check.1",
        ] {
            assert!(files.contains(&name), "{name} missing from {files:?}");
        }
    }

    #[test]
    fn subcommand_pages_document_their_options_and_the_exit_codes() {
        let pages = pages();
        let start = pages
            .iter()
            .find(|p| p.file == "flightdeck-start.1")
            .unwrap();
        let body = text(start);
        for option in ["\\-\\-var", "\\-\\-wait", "\\-\\-timeout", "EXIT STATUS"] {
            assert!(body.contains(option), "start page lacks {option}");
        }
        assert!(!body.contains("EXTRA"), "no unaligned EXTRA section");
        let root = text(&pages[0]);
        for section in ["KEYS", "ENVIRONMENT", "FILES", "EXIT STATUS", "SEE ALSO"] {
            assert!(
                root.contains(&format!(".SH \"{section}\""))
                    || root.contains(&format!(".SH {section}")),
                "root lacks {section}"
            );
        }
        // Every documented code is an entry of its own.
        for code in ["0", "5", "8", "10", "141"] {
            assert!(root.contains(&format!("\\fB{code}\\fR")), "code {code}");
        }
    }
}
