//! Every class of config error names file:line:col and the dotted key, in words a person can
//! act on. The texts are asserted exactly: they are the user interface of a broken config.

use flightdeck::config::Config;

/// A valid harness backend whose lines the cases below replace.
const HARNESS: &str = r#"[[backend]]
name = "h"
kind = "harness"
base_url = "https://x"
account = "a"
project = "p"
api_key = { env = "K" }
"#;

const INFRAXYS: &str = r#"[[backend]]
name = "i"
kind = "infraxys"
base_url = "https://x"
"#;

fn err(text: &str) -> String {
    match Config::from_toml_str(text, "flightdeck.toml") {
        Ok(config) => panic!("expected an error, loaded {config:?}"),
        Err(e) => e.to_string(),
    }
}

fn harness_with(find: &str, replace: &str) -> String {
    assert!(HARNESS.contains(find), "{find}");
    HARNESS.replacen(find, replace, 1)
}

#[test]
fn toml_syntax_errors() {
    assert_eq!(
        err("a = \n"),
        "flightdeck.toml:1:5: invalid TOML: string values must be quoted, expected literal string"
    );
    assert_eq!(
        err("[ui]\nrefresh = \"10s\"\nrefresh = \"2s\"\n"),
        "flightdeck.toml:3:1: invalid TOML: duplicate key `refresh`"
    );
    // Deep nesting is refused by the parser instead of overflowing the stack.
    assert!(
        err(&format!("a = {}", "[".repeat(100_000)))
            .contains("invalid TOML: cannot recurse further")
    );
}

#[test]
fn unknown_keys_suggest_the_closest_valid_key() {
    assert_eq!(
        err("[uii]\n"),
        "flightdeck.toml:1:2: uii: unknown key; did you mean `ui`?"
    );
    assert_eq!(
        err("[ui]\nrefesh = \"10s\"\n"),
        "flightdeck.toml:2:1: ui.refesh: unknown key; did you mean `refresh`?"
    );
    assert_eq!(
        err(&harness_with(
            "project = \"p\"\n",
            "project = \"p\"\nacount = \"n\"\n"
        )),
        "flightdeck.toml:7:1: backend[0].acount: unknown key; did you mean `account`?"
    );
    assert_eq!(
        err("[[backend]]\nname = \"x\"\nknd = \"argo\"\n"),
        "flightdeck.toml:3:1: backend[0].knd: unknown key; did you mean `kind`?"
    );
    assert_eq!(
        err(&harness_with("{ env = \"K\" }", "{ envv = \"K\" }")),
        "flightdeck.toml:7:13: backend[0].api_key.envv: unknown key; did you mean `env`?"
    );
    assert_eq!(
        err(&format!(
            "{INFRAXYS}[[backend.alias]]\nname = \"w\"\nalias = \"a\"\nfilename = \"x\"\n"
        )),
        "flightdeck.toml:8:1: backend[0].alias[0].filename: unknown key; \
         valid keys here: name, asynchronous, argument_fields, alias"
    );
}

#[test]
fn keys_of_another_kind_name_that_kind() {
    assert_eq!(
        err(&harness_with(
            "project = \"p\"\n",
            "project = \"p\"\nnamespace = \"n\"\n"
        )),
        "flightdeck.toml:7:1: backend[0].namespace: `namespace` is a setting of argo backends, \
         not of harness backends"
    );
    assert_eq!(
        err(&harness_with("api_key", "token")),
        "flightdeck.toml:7:1: backend[0].token: `token` is a setting of argo and infraxys \
         backends, not of harness backends; use `api_key`"
    );
}

#[test]
fn wrong_types() {
    assert_eq!(
        err("ui = 3\n"),
        "flightdeck.toml:1:6: ui: expected a table, found an integer"
    );
    assert_eq!(
        err("[ui]\nrefresh = 10\n"),
        "flightdeck.toml:2:11: ui.refresh: expected a duration string like \"10s\", found an integer"
    );
    assert_eq!(
        err("[ui]\nread_only = \"yes\"\n"),
        "flightdeck.toml:2:13: ui.read_only: expected true or false, found a string"
    );
    assert_eq!(
        err("[backend]\nname = \"x\"\n"),
        "flightdeck.toml:1:1: backend: expected an array of tables ([[backend]]), found a table"
    );
    assert_eq!(
        err(&harness_with(
            "project = \"p\"\n",
            "project = \"p\"\nconcurrency = \"4\"\n"
        )),
        "flightdeck.toml:7:15: backend[0].concurrency: expected an integer, found a string"
    );
    assert_eq!(
        err(&harness_with("{ env = \"K\" }", "5")),
        "flightdeck.toml:7:11: backend[0].api_key: expected { env = \"VAR\" }, { file = \"path\" }, \
         { cmd = \"command\" } or a string, found an integer"
    );
    assert_eq!(
        err(&format!("{INFRAXYS}workflow = 3\n")),
        "flightdeck.toml:5:12: backend[0].workflow: expected an array of tables \
         ([[backend.workflow]]), found an integer"
    );
}

#[test]
fn invalid_values() {
    assert_eq!(
        err(&format!(
            "{HARNESS}\n[[backend]]\nname = \"y\"\nkind = \"harnes\"\n"
        )),
        "flightdeck.toml:11:8: backend[1].kind: unknown backend kind \"harnes\"; \
         expected one of harness, harness-fg, argo, infraxys"
    );
    assert_eq!(
        err("[ui]\ntheme = \"blue\"\n"),
        "flightdeck.toml:2:9: ui.theme: unknown theme \"blue\"; \
         expected one of dark, light, high-contrast, colorblind"
    );
    assert_eq!(
        err("[ui]\nrefresh = \"10\"\n"),
        "flightdeck.toml:2:11: ui.refresh: invalid duration \"10\"; write a number and a unit, \
         like \"500ms\", \"10s\", \"2m\" or \"1h\""
    );
    assert_eq!(
        err(&harness_with("https://x", "not a url")),
        "flightdeck.toml:4:12: backend[0].base_url: invalid URL: relative URL without a base"
    );
    assert_eq!(
        err(&harness_with("https://x", "ftp://x")),
        "flightdeck.toml:4:12: backend[0].base_url: URL scheme must be http or https, not \"ftp\""
    );
    assert_eq!(
        err(&harness_with("https://x", "https://user:pw@x")),
        "flightdeck.toml:4:12: backend[0].base_url: must not contain a user name or password; \
         put credentials in api_key or token"
    );
    assert_eq!(
        err(&harness_with(
            "project = \"p\"\n",
            "project = \"p\"\nca_file = \"~bob/x\"\n"
        )),
        "flightdeck.toml:7:11: backend[0].ca_file: only `~/` is expanded; \
         `~user` paths are not supported"
    );
    assert_eq!(
        err(&harness_with(
            "{ env = \"K\" }",
            "{ env = \"K\", file = \"f\" }"
        )),
        "flightdeck.toml:7:11: backend[0].api_key: expected exactly one of { env = \"VAR\" }, \
         { file = \"path\" }, { cmd = \"command\" } or a string"
    );
    let alias = format!("{INFRAXYS}[[backend.alias]]\nname = \"w\"\nalias = \"a\"\n");
    assert_eq!(
        err(&format!(
            "{alias}argument_fields = [{{ name = \"n\", type = \"int\" }}]\n"
        )),
        "flightdeck.toml:8:41: backend[0].alias[0].argument_fields[0].type: unknown type \"int\"; \
         expected one of string, number, bool"
    );
    assert_eq!(
        err(&format!(
            "{alias}argument_fields = [{{ name = \"n\", type = \"number\", default = \"x\" }}]\n"
        )),
        "flightdeck.toml:8:61: backend[0].alias[0].argument_fields[0].default: expected a number \
         (the field's type is number), found a string"
    );
}

#[test]
fn duration_and_number_limits() {
    assert_eq!(
        err("[ui]\nrefresh = \"1s\"\n"),
        "flightdeck.toml:2:11: ui.refresh: must be at least 2s (got \"1s\")"
    );
    assert_eq!(
        err("[ui]\nrefresh_running = \"999ms\"\n"),
        "flightdeck.toml:2:19: ui.refresh_running: must be at least 1s (got \"999ms\")"
    );
    assert_eq!(
        err("[ui]\nrefresh_selected = \"100ms\"\n"),
        "flightdeck.toml:2:20: ui.refresh_selected: must be at least 500ms (got \"100ms\")"
    );
    let with =
        |line: &str| harness_with("project = \"p\"\n", &format!("project = \"p\"\n{line}\n"));
    assert_eq!(
        err(&with("timeout = \"500ms\"")),
        "flightdeck.toml:7:11: backend[0].timeout: must be at least 1s (got \"500ms\")"
    );
    assert_eq!(
        err(&with("timeout = \"301s\"")),
        "flightdeck.toml:7:11: backend[0].timeout: must be at most 5m (got \"301s\")"
    );
    assert_eq!(
        err(&with("concurrency = 0")),
        "flightdeck.toml:7:15: backend[0].concurrency: must be between 1 and 32 (got 0)"
    );
    assert_eq!(
        err(&with("concurrency = 33")),
        "flightdeck.toml:7:15: backend[0].concurrency: must be between 1 and 32 (got 33)"
    );
    assert_eq!(
        err(&with("max_requests_per_minute = 0")),
        "flightdeck.toml:7:27: backend[0].max_requests_per_minute: must be between 1 and 10000 (got 0)"
    );
}

#[test]
fn missing_required_keys_point_at_the_table() {
    assert_eq!(
        err("[[backend]]\nname = \"x\"\nbase_url = \"https://x\"\n"),
        "flightdeck.toml:1:1: backend[0].kind: missing, \
         expected one of harness, harness-fg, argo, infraxys"
    );
    assert_eq!(
        err(&harness_with("account = \"a\"\n", "")),
        "flightdeck.toml:1:1: backend[0].account: missing, required for harness backends"
    );
    assert_eq!(
        err(&harness_with("api_key = { env = \"K\" }\n", "")),
        "flightdeck.toml:1:1: backend[0].api_key: missing, required for harness backends"
    );
    assert_eq!(
        err(&harness_with("project = \"p\"\n", "")),
        "flightdeck.toml:1:1: backend[0].project: missing, \
         harness backends need `project` or `projects`"
    );
    assert_eq!(
        err("[[backend]]\nname = \"a\"\nkind = \"argo\"\nbase_url = \"https://x\"\n"),
        "flightdeck.toml:1:1: backend[0].namespace: missing, required for argo backends"
    );
    assert_eq!(
        err(&format!(
            "{INFRAXYS}[[backend.workflow]]\nname = \"w\"\nenvironment_id = \"e\"\n"
        )),
        "flightdeck.toml:5:1: backend[0].workflow[0].workflow_id: missing, \
         required for infraxys workflows"
    );
    assert_eq!(
        err("[[backend]]\nkind = \"argo\"\nnamespace = \"n\"\nbase_url = \"https://x\"\n"),
        "flightdeck.toml:1:1: backend[0].name: missing, every backend needs a unique name"
    );
}

#[test]
fn project_and_projects_conflict() {
    assert_eq!(
        err(&harness_with(
            "project = \"p\"\n",
            "project = \"p\"\nprojects = [\"q\"]\n"
        )),
        "flightdeck.toml:7:12: backend[0].projects: set either `project` or `projects`, not both"
    );
    assert_eq!(
        err(&harness_with("project = \"p\"\n", "projects = []\n")),
        "flightdeck.toml:6:12: backend[0].projects: must list at least one project"
    );
}

#[test]
fn backend_names_are_unique_nonempty_and_slash_free() {
    assert_eq!(
        err(&format!("{HARNESS}\n{HARNESS}")),
        "flightdeck.toml:10:8: backend[1].name: duplicate backend name \"h\"; \
         backend[0] already uses it"
    );
    assert_eq!(
        err(&harness_with("name = \"h\"", "name = \"\"")),
        "flightdeck.toml:2:8: backend[0].name: must not be empty"
    );
    assert_eq!(
        err(&harness_with("name = \"h\"", "name = \"a/b\"")),
        "flightdeck.toml:2:8: backend[0].name: must not contain `/`: \
         names are used in CLI targets like `name/pipeline`"
    );
    assert_eq!(
        err(&harness_with("name = \"h\"", "name = \" h\"")),
        "flightdeck.toml:2:8: backend[0].name: must not start or end with whitespace"
    );
}

#[test]
fn infraxys_entry_names_are_unique_across_entry_kinds() {
    let text = format!(
        "{INFRAXYS}[[backend.workflow]]\nname = \"w\"\nenvironment_id = \"e\"\nworkflow_id = \"w\"\n\
         [[backend.alias]]\nname = \"w\"\nalias = \"a\"\n"
    );
    assert_eq!(
        err(&text),
        "flightdeck.toml:10:8: backend[0].alias[0].name: duplicate name \"w\"; \
         backend[0].workflow[0] already uses it"
    );
}

#[test]
fn load_names_the_file_it_could_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.toml");
    let message = Config::load(&path).unwrap_err().to_string();
    assert!(
        message.starts_with(&format!("cannot read config file {}: ", path.display())),
        "{message}"
    );
}

#[test]
fn load_errors_use_the_path_as_the_origin() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flightdeck.toml");
    std::fs::write(&path, "\n[ui]\ntheme = 1\n").unwrap();
    assert_eq!(
        Config::load(&path).unwrap_err().to_string(),
        format!(
            "{}:3:9: ui.theme: expected a string, found an integer",
            path.display()
        )
    );
}

#[test]
fn argo_reject_mode_and_event_payload_are_checked() {
    const ARGO: &str =
        "[[backend]]\nname = \"a\"\nkind = \"argo\"\nbase_url = \"https://x\"\nnamespace = \"n\"\n";
    let bad_mode = err(&format!("{ARGO}reject = \"ignore\"\n"));
    assert!(bad_mode.starts_with("flightdeck.toml:6:"), "{bad_mode}");
    assert!(
        bad_mode.contains("unknown reject mode \"ignore\""),
        "{bad_mode}"
    );
    let bad_payload = err(&format!(
        "{ARGO}[[backend.event]]\nname = \"e\"\npayload = \"{{not json\"\n"
    ));
    assert!(
        bad_payload.starts_with("flightdeck.toml:8:"),
        "{bad_payload}"
    );
    assert!(bad_payload.contains("not valid JSON"), "{bad_payload}");
    let duplicate = err(&format!(
        "{ARGO}[[backend.event]]\nname = \"e\"\n[[backend.event]]\nname = \"e\"\n"
    ));
    assert!(
        duplicate.contains("duplicate event name \"e\""),
        "{duplicate}"
    );
}

#[test]
fn key_conflicts_name_the_line_and_the_other_binding() {
    // Against a default binding: r is refresh's.
    assert_eq!(
        err("[keys]\napprove = \"r\"\n"),
        "flightdeck.toml:2:11: keys.approve: `r` is bound to refresh by default; give refresh \
         other keys too (refresh = \"...\") or pick another key here"
    );
    // Between two lines of the file, reported at the later one.
    assert_eq!(
        err("[keys]\napprove = \"c\"\nreject = [\"n\", \"c\"]\n"),
        "flightdeck.toml:3:16: keys.reject[1]: `c` is also bound to approve on line 2; \
         one key, one action"
    );
    // Adding counts too.
    assert_eq!(
        err("[keys]\nrefresh = { add = \"a\" }\n"),
        "flightdeck.toml:2:19: keys.refresh.add: `a` is bound to approve by default; give \
         approve other keys too (approve = \"...\") or pick another key here"
    );
    // Moving a default out of the way first is fine.
    let ok = "[keys]\nrefresh = \"F5\"\napprove = \"r\"\n";
    assert!(Config::from_toml_str(ok, "flightdeck.toml").is_ok());
}

/// Each layer's section is checked on its own: a key may act in two layers, never twice in
/// one; the messages are the same as for `[keys]`.
#[test]
fn key_sections_check_their_own_conflicts() {
    assert_eq!(
        err("[keys.dialog]\nconfirm = \"esc\"\n"),
        "flightdeck.toml:2:11: keys.dialog.confirm: `Esc` is bound to cancel by default; give \
         cancel other keys too (cancel = \"...\") or pick another key here"
    );
    assert_eq!(
        err("[keys.log_view]\nsearch = \"f\"\nnext_step = [\"f\"]\n"),
        "flightdeck.toml:3:14: keys.log_view.next_step[0]: `f` is also bound to search on line \
         2; one key, one action"
    );
    assert_eq!(
        err("[keys.prompt]\ncancel = []\n"),
        "flightdeck.toml:2:10: keys.prompt.cancel: cancel needs at least one key, or there is no \
         way out"
    );
    assert_eq!(
        err("[keys.dialog]\napprove = \"y\"\n"),
        "flightdeck.toml:2:1: keys.dialog.approve: unknown key; valid keys here: focus_next, \
         focus_prev, choice_prev, choice_next, confirm, cancel, copy_request"
    );
    // f freezes in the panes and may search in the log view: separate layers.
    let ok = "[keys.log_view]\nsearch = \"f\"\n[keys.dialog]\nconfirm = [\"enter\", \"ctrl-s\"]\n";
    assert!(Config::from_toml_str(ok, "flightdeck.toml").is_ok());
}

#[test]
fn key_names_and_actions_are_checked() {
    assert_eq!(
        err("[keys]\naprove = \"y\"\n"),
        "flightdeck.toml:2:1: keys.aprove: unknown key; did you mean `approve`?"
    );
    assert!(err("[keys]\napprove = \"hyper-y\"\n").starts_with(
        "flightdeck.toml:2:11: keys.approve: unknown key \"hyper-y\"; write a character"
    ));
    assert_eq!(
        err("[keys]\napprove = 1\n"),
        "flightdeck.toml:2:11: keys.approve: expected a key, a list of keys, or { add = [...] }, \
         found an integer"
    );
    assert_eq!(
        err("[keys]\nquit = []\n"),
        "flightdeck.toml:2:8: keys.quit: quit needs at least one key, or there is no way out"
    );
    assert_eq!(
        err("[keys]\nrefresh = { also = \"F5\" }\n"),
        "flightdeck.toml:2:13: keys.refresh.also: unknown key; valid keys here: add"
    );
}

#[test]
fn saved_filters_are_checked() {
    assert_eq!(
        err("[filter.\"prod gates\"]\nquery = \"env:prod\"\n"),
        "flightdeck.toml:1:1: filter.prod gates: a saved filter's name may hold only letters, \
         digits, `-` and `_` (it is typed as @name)"
    );
    assert_eq!(
        err("[filter.prod]\npane = \"approvals\"\n"),
        "flightdeck.toml:1:1: filter.prod.query: missing, what to filter by, as typed after /"
    );
    assert_eq!(
        err("[filter.prod]\nquery = \"@other eu\"\n"),
        "flightdeck.toml:2:9: filter.prod.query: a saved filter cannot use another one (@name); \
         write its terms out"
    );
    assert_eq!(
        err("[filter.prod]\nquery = \"eu\"\npane = \"gates\"\n"),
        "flightdeck.toml:3:8: filter.prod.pane: unknown pane \"gates\"; expected one of \
         pipelines, executions, approvals, audit"
    );
}

#[test]
fn notification_settings_are_checked() {
    assert_eq!(
        err("[ui]\ndesktop = \"growl\"\n"),
        "flightdeck.toml:2:11: ui.desktop: unknown notification protocol \"growl\"; expected \
         true, false, \"osc9\" or \"osc777\""
    );
    assert_eq!(
        err("[ui]\nbell = \"yes\"\n"),
        "flightdeck.toml:2:8: ui.bell: expected true or false, found a string"
    );
}

/// Property: any config text, and any damage to the example config (a value replaced by
/// another kind of value, a line dropped or doubled), loads or fails with a located error;
/// the parser never panics. Bounded to proptest's default 256 cases (`PROPTEST_CASES`).
mod any_text {
    use flightdeck::config::Config;
    use proptest::prelude::*;

    const EXAMPLE: &str = include_str!("../../config.example.toml");

    #[derive(Debug, Clone)]
    enum Damage {
        Value(usize, String),
        Drop(usize),
        Double(usize),
        Insert(usize, String),
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("\"-5s\"".to_string()),
            Just("\"99999999999999h\"".to_string()),
            Just("\"0ms\"".to_string()),
            Just("18446744073709551616".to_string()),
            Just("-1".to_string()),
            Just("nan".to_string()),
            Just("[]".to_string()),
            Just("{}".to_string()),
            Just("{ env = \"\" }".to_string()),
            Just("{ file = \"/nonexistent\" }".to_string()),
            Just("\"\\u0000\\u001b]52;c;eA==\\u0007\"".to_string()),
            "\"[^\"\\\\]{0,30}\"",
            any::<i64>().prop_map(|i| i.to_string()),
            any::<String>(),
        ]
    }

    fn damage() -> impl Strategy<Value = Damage> {
        prop_oneof![
            4 => (any::<usize>(), value()).prop_map(|(at, v)| Damage::Value(at, v)),
            1 => any::<usize>().prop_map(Damage::Drop),
            1 => any::<usize>().prop_map(Damage::Double),
            1 => (any::<usize>(), any::<String>()).prop_map(|(at, text)| Damage::Insert(at, text)),
        ]
    }

    fn damaged(damages: &[Damage]) -> String {
        let mut lines: Vec<String> = EXAMPLE.lines().map(str::to_owned).collect();
        for d in damages {
            let n = lines.len().max(1);
            match d {
                Damage::Value(at, v) => {
                    let line = &mut lines[at % n];
                    if let Some(eq) = line.find('=') {
                        line.replace_range(eq + 1.., &format!(" {v}"));
                    }
                }
                Damage::Drop(at) => {
                    lines.remove(at % n);
                }
                Damage::Double(at) => {
                    let line = lines[at % n].clone();
                    lines.insert(at % n, line);
                }
                Damage::Insert(at, text) => lines.insert(at % n, text.clone()),
            }
        }
        lines.join("\n")
    }

    fn load(text: &str) {
        match Config::from_toml_str(text, "flightdeck.toml") {
            Ok(config) => {
                let _ = config.warnings();
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }

    proptest! {
        #![proptest_config(proptest::test_runner::Config {
            failure_persistence: None,
            ..Default::default()
        })]

        #[test]
        fn any_text_loads_or_fails_cleanly(text in any::<String>()) {
            load(&text);
        }

        #[test]
        fn a_damaged_example_loads_or_fails_cleanly(
            damages in proptest::collection::vec(damage(), 1..5),
        ) {
            load(&damaged(&damages));
        }
    }
}

/// `identity` is one line of text on any backend; `ui_url` a web URL, and Infraxys has no
/// page to link to.
#[test]
fn identity_and_ui_url_are_checked() {
    let base =
        "[[backend]]\nname = \"ix\"\nkind = \"infraxys\"\nbase_url = \"https://ix.example\"\n";
    let err = |extra: &str| {
        flightdeck::config::Config::from_toml_str(&format!("{base}{extra}"), "f.toml")
            .unwrap_err()
            .to_string()
    };
    assert!(err("identity = \"\"\n").contains("must not be empty"));
    assert!(err("identity = \"a\\u001b[2Jb\"\n").contains("control characters"));
    let e = err("ui_url = \"https://ix.example/ui\"\n");
    assert!(e.contains("`ui_url` is a setting of"), "{e}");
    let argo = "[[backend]]\nname = \"a\"\nkind = \"argo\"\nbase_url = \"https://argo.example\"\nnamespace = \"argo\"\n";
    let bad = flightdeck::config::Config::from_toml_str(
        &format!("{argo}ui_url = \"argo.example\"\n"),
        "f.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(bad.contains("no scheme"), "{bad}");
    let ok = flightdeck::config::Config::from_toml_str(
        &format!("{argo}ui_url = \"https://ui.example/argo/\"\nidentity = \"ops\"\n"),
        "f.toml",
    )
    .unwrap();
    assert_eq!(
        ok.backends[0].ui_url.as_ref().unwrap().as_str(),
        "https://ui.example/argo/"
    );
    assert_eq!(ok.backends[0].identity.as_deref(), Some("ops"));
}
