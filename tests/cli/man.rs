//! `flightdeck man --dir DIR`: every page the root page links to is written, one path per
//! line on stdout, each a roff page with its subcommand's options.

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

#[test]
fn man_dir_writes_a_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let run = std::process::Command::new(BIN)
        .args(["man", "--dir"])
        .arg(&pages)
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let printed: Vec<String> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let mut written: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    written.sort();
    let mut sorted = printed.clone();
    sorted.sort();
    assert_eq!(
        sorted, written,
        "stdout names each written page once per line"
    );
    for name in [
        "flightdeck.1",
        "flightdeck-list.1",
        "flightdeck-start.1",
        "flightdeck-approve.1",
        "flightdeck-config-check.1",
        "flightdeck-sim.1",
    ] {
        let page = std::fs::read_to_string(pages.join(name)).unwrap();
        assert!(page.contains(".TH"), "{name} is a man page");
        assert!(page.contains("EXIT STATUS"), "{name} lists the exit codes");
    }
    let list = std::fs::read_to_string(pages.join("flightdeck-list.1")).unwrap();
    assert!(
        list.contains("\\-\\-backend"),
        "subcommand options are documented"
    );
}
