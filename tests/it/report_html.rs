//! The HTML report in a real browser: headless Chromium loads the page, its DOM must show the
//! expected totals, and a screenshot must come out. Needs the Debian package `chromium`: when it
//! is missing and the tests run as root (CI, the project's machines), the test installs it with
//! apt-get, as `.ci/run` does; otherwise it fails (never skips) and says how to install it.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{curlab, generate, truth};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Install Chromium once if it is missing and we may (root with apt-get).
fn ensure_chromium() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if Path::new(CHROMIUM).exists() {
            return;
        }
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        if root && Path::new("/usr/bin/apt-get").exists() {
            let _ = Command::new("apt-get").args(["update", "-qq"]).status();
            let _ = Command::new("apt-get")
                .args(["install", "-y", "-qq", "chromium"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status();
        }
    });
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run `apt-get install -y chromium` (the HTML report is checked in a real browser)"
    );
}

/// Run headless Chromium with a fresh profile and no network chatter; kill it after 120 s.
fn chromium(args: &[&str]) -> Output {
    ensure_chromium();
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().expect("wait for chromium").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().expect("chromium output")
}

#[test]
fn html_report_renders_in_chromium_with_the_expected_totals() {
    let dir = generate("s4-gateway-per-user", &["--scale", "0.1"]);
    let export = dir.path().join("s4-gateway-per-user");
    let t = truth(dir.path(), "s4-gateway-per-user");
    let total = t["bedrock_cost_total"].as_f64().unwrap();
    let page = dir.path().join("report.html");
    let o = curlab(&[
        "report",
        export.to_str().unwrap(),
        "--group-by",
        "tag:team",
        "--format",
        "html",
        "--out",
        page.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let url = format!("file://{}", page.display());

    let dom = chromium(&["--dump-dom", &url]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    let shown = format!("${total:.2}");
    assert!(
        dom.contains(&format!("<b id=\"total\">{shown}</b>")),
        "rendered page lacks the total {shown}"
    );
    for team in t["by_tag"]["iamPrincipal/team"].as_object().unwrap().keys() {
        assert!(dom.contains(team.as_str()), "team {team} not on the page");
    }
    for text in [
        "Spend over time",
        "Top groups",
        "Tag coverage",
        "iamPrincipal/team",
    ] {
        assert!(dom.contains(text), "{text} not on the page");
    }
    assert!(dom.matches("<svg").count() >= 2, "charts missing");

    let png = dir.path().join("report.png");
    let shot = chromium(&[
        &format!("--screenshot={}", png.display()),
        "--window-size=1280,1600",
        &url,
    ]);
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 1600));
    assert!(
        bytes.len() > 20_000,
        "screenshot suspiciously small: a blank page?"
    );
}
