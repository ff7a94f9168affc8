//! Signs a realistic Telnyx webhook with the DEVELOPMENT key and sends it to a local
//! worker, then prints the response.
//!
//!     cargo run --example send-webhook -- call.refer.started --call v3:my-test-call
//!
//! The development key's private half is published in this repository: a worker that
//! trusts its public key trusts anyone. Use it with `wrangler dev` only.

use std::process::ExitCode;

use telnyx_edge::simulator::deliveries::{body, Delivery, TRACKED_EVENT_TYPES};
use telnyx_edge::simulator::signing::{unix_now, WebhookSigner};

const USAGE: &str = "\
usage: cargo run --example send-webhook -- <event_type> [options]

  <event_type>           e.g. call.initiated, call.refer.started, siprec.failed
                         (tracked: TRACKED); any other type is sent too
  --call <id>            call_control_id (default v3:send-webhook-demo)
  --event-id <id>        data.id (default: a fresh one; reuse it to see `duplicate`)
  --occurred-at <time>   data.occurred_at, RFC 3339 (default: now)
  --url <url>            worker base URL (default http://127.0.0.1:8787)
  --print                print the signed request instead of sending it";

struct Options {
    event_type: String,
    call: String,
    event_id: String,
    occurred_at: String,
    url: String,
    print_only: bool,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let now = unix_now();
    let mut options = Options {
        event_type: String::new(),
        call: "v3:send-webhook-demo".into(),
        event_id: format!("dev-{now}-{}", std::process::id()),
        occurred_at: rfc3339(now),
        url: "http://127.0.0.1:8787".into(),
        print_only: false,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--call" => options.call = value("--call")?,
            "--event-id" => options.event_id = value("--event-id")?,
            "--occurred-at" => options.occurred_at = value("--occurred-at")?,
            "--url" => options.url = value("--url")?,
            "--print" => options.print_only = true,
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            event_type if options.event_type.is_empty() => options.event_type = event_type.into(),
            extra => return Err(format!("unexpected argument {extra}")),
        }
    }
    if options.event_type.is_empty() {
        return Err("name an event type".into());
    }
    Ok(options)
}

fn rfc3339(unix_secs: i64) -> String {
    telnyx_edge::domain::time::Instant::from_unix_secs(unix_secs).to_rfc3339()
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(error) => {
            if !error.is_empty() {
                eprintln!("error: {error}\n");
            }
            eprintln!(
                "{}",
                USAGE.replace("TRACKED", &TRACKED_EVENT_TYPES.join(", "))
            );
            return ExitCode::from(2);
        }
    };
    let delivery = Delivery {
        event_type: &options.event_type,
        event_id: &options.event_id,
        call_control_id: &options.call,
        occurred_at: &options.occurred_at,
    };
    let body = body(&delivery).to_string();
    let signer = WebhookSigner::development();
    let headers = signer.headers(unix_now(), body.as_bytes());
    let url = format!("{}/webhooks/telnyx", options.url.trim_end_matches('/'));

    if options.print_only {
        println!("POST {url}");
        for (name, value) in &headers {
            println!("{name}: {value}");
        }
        println!("\n{body}");
        return ExitCode::SUCCESS;
    }
    let mut request = ureq::post(&url).set("content-type", "application/json");
    for (name, value) in &headers {
        request = request.set(name, value);
    }
    let response = match request.send_string(&body) {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => {
            eprintln!("error: could not reach {url}: {error}\n(is `make dev` running?)");
            return ExitCode::FAILURE;
        }
    };
    let status = response.status();
    let text = response.into_string().unwrap_or_default();
    println!(
        "sent {} {} for call {}",
        options.event_type, options.event_id, options.call
    );
    println!("HTTP {status}\n{text}");
    if status == 200 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
