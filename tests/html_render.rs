//! `monitor drift --format html` end to end: the real binary writes the page, headless
//! Chromium renders it to a PNG and dumps its DOM.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use crate::support::{assert_succeeded, examples, monitor, scratch};

/// Where Debian's chromium package puts the browser; `cargo xtask test` installs it.
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long one Chromium run may take before the test gives up on it.
const CHROMIUM_DEADLINE: Duration = Duration::from_secs(90);

/// The browser, or a failure that says how to get it: this test never skips.
fn chromium() -> PathBuf {
    let path = PathBuf::from(CHROMIUM);
    assert!(
        path.is_file(),
        "{CHROMIUM} not found: the HTML report test needs headless Chromium; run `cargo xtask test`, \
         which installs it (Debian package `chromium`)"
    );
    path
}

/// Runs headless Chromium on `page` with `extra` arguments and a fresh profile in
/// `dir/<run>-profile`, and returns its stdout; fails the test if it exits non-zero or
/// outlives its deadline.
fn run_chromium(dir: &Path, run: &str, page: &Path, extra: &[String]) -> String {
    let profile = dir.join(format!("{run}-profile"));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).expect("creating a fresh profile dir");
    let stdout_path = dir.join(format!("{run}.stdout"));
    let stderr_path = dir.join(format!("{run}.stderr"));
    let mut child = Process::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .expect("starting chromium");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for chromium") {
            break status;
        }
        if started.elapsed() > CHROMIUM_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium still running after {CHROMIUM_DEADLINE:?}; stderr: {}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "chromium failed ({status}); stderr: {}",
        std::fs::read_to_string(&stderr_path).unwrap_or_default()
    );
    std::fs::read_to_string(&stdout_path).expect("reading chromium's stdout")
}

/// Pixels of a PNG as RGBA (or RGB, or grey) bytes, and their channel count.
fn decode_png(path: &Path) -> (png::OutputInfo, Vec<u8>) {
    let bytes = std::fs::read(path).expect("reading the screenshot");
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane image size")];
    let info = reader.next_frame(&mut pixels).expect("a PNG frame");
    pixels.truncate(info.buffer_size());
    (info, pixels)
}

#[test]
fn html_report_renders_in_a_real_browser() {
    let dir = scratch("html_render");
    let (reference, current) = (
        examples().join("reference.csv"),
        examples().join("current.csv"),
    );
    let page = dir.join("report.html");
    let output = monitor()
        .args(["drift", "--format", "html", "--output"])
        .arg(&page)
        .arg("--reference")
        .arg(&reference)
        .arg("--current")
        .arg(&current)
        .output()
        .expect("running monitor");
    assert_succeeded(&output);
    let html = std::fs::read_to_string(&page).expect("the report is written");
    assert!(html.len() < 1024 * 1024, "{} bytes", html.len());

    // the number of columns, from the JSON contract
    let json = monitor()
        .args(["drift", "--format", "json", "--reference"])
        .arg(&reference)
        .arg("--current")
        .arg(&current)
        .output()
        .expect("running monitor");
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let n_columns = report["n_columns"].as_u64().expect("n_columns") as usize;
    assert!(n_columns > 0);

    let shot = dir.join("shot.png");
    run_chromium(
        &dir,
        "screenshot",
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".into(),
        ],
    );
    assert!(shot.is_file(), "chromium wrote no screenshot");
    let (info, pixels) = decode_png(&shot);
    assert_eq!((info.width, info.height), (1280, 2000));
    let channels = info.color_type.samples();
    let mut colours = std::collections::HashSet::new();
    let mut not_white = 0usize;
    for pixel in pixels.chunks_exact(channels) {
        let rgb = &pixel[..channels.min(3)];
        if rgb.iter().any(|&v| v < 250) {
            not_white += 1;
        }
        colours.insert(rgb.to_vec());
    }
    let n_pixels = pixels.len() / channels;
    assert!(
        colours.len() > 50,
        "a blank-looking page: {} colours",
        colours.len()
    );
    assert!(
        not_white * 20 > n_pixels,
        "a blank-looking page: {not_white} of {n_pixels} pixels are not white"
    );

    let dom = run_chromium(&dir, "dom", &page, &["--dump-dom".into()]);
    let title = dom
        .split_once("<title>")
        .and_then(|(_, rest)| rest.split_once("</title>"))
        .map(|(title, _)| title)
        .expect("the DOM has a title");
    assert_eq!(
        title,
        format!(
            "Drift report: {} vs {}",
            current.display(),
            reference.display()
        )
    );
    assert_eq!(
        dom.matches("<svg").count(),
        n_columns,
        "one plot per column"
    );
}
