//! How long the IMEI field's parse takes for the lists it re-reads on every keystroke:
//! 100,000 and 300,000 lines, plain ASCII (the fast path) and as pasted from mail in a
//! right-to-left locale or typed in full width (every character read as a person sees it).
//! Natively, in release: `cargo bench --bench parse_list`. Prints the median of 7 runs.

use std::time::{Duration, Instant};

use fota_sync::core::imei::{luhn_check_digit, parse_list};

fn imeis(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let body = format!("35693810{i:06}");
            format!("{body}{}", luhn_check_digit(body.as_bytes()))
        })
        .collect()
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time(name: &str, text: &str, devices: usize) {
    let runs: Vec<Duration> = (0..7)
        .map(|_| {
            let start = Instant::now();
            let list = parse_list(text, false);
            let took = start.elapsed();
            assert_eq!(list.devices.len(), devices, "{name}");
            took
        })
        .collect();
    println!(
        "{name:<58} {:>8.1} ms  ({} bytes)",
        median(runs).as_secs_f64() * 1000.0,
        text.len()
    );
}

fn main() {
    for count in [100_000, 300_000] {
        let list = imeis(count);
        time(&format!("{count} lines, ASCII"), &list.join("\n"), count);
        let marked: Vec<String> = list
            .iter()
            .map(|i| format!("\u{200e}{i}\u{200e}"))
            .collect();
        time(
            &format!("{count} lines, each within LRM marks"),
            &marked.join("\n"),
            count,
        );
        let wide: Vec<String> = list
            .iter()
            .map(|i| {
                i.chars()
                    .map(|c| char::from_u32(0xFF10 + (c as u32 - 0x30)).unwrap())
                    .collect()
            })
            .collect();
        time(
            &format!("{count} lines, full-width digits"),
            &wide.join("\n"),
            count,
        );
        let one = format!(
            "{}\n\u{200e}{}",
            list[..count - 1].join("\n"),
            list[count - 1]
        );
        time(
            &format!("{count} lines, ASCII but for one mark"),
            &one,
            count,
        );
    }
}
