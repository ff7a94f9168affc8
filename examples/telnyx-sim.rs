//! A local Telnyx: a Call Control API on loopback that validates each command as the
//! worker does, answers as Telnyx does, and then sends the webhooks Telnyx would send,
//! signed with the DEVELOPMENT key (`.dev.vars.example`).
//!
//!     cargo run --example telnyx-sim -- --port 8788 --webhook-url http://127.0.0.1:8787/webhooks/telnyx
//!
//! Its own routes start and steer calls (docs/simulator.md). The
//! development key's private half is published in this repository: use it locally only.

use std::process::ExitCode;

use telnyx_edge::simulator::cli::options_or_usage;
use telnyx_edge::simulator::http::SimServer;

const USAGE: &str = "\
usage: cargo run --example telnyx-sim -- --port <port> --webhook-url <url>

  --port <port>         serve the Call Control API on 127.0.0.1:<port>/v2 (default 8788)
  --webhook-url <url>   where its webhooks go (default http://127.0.0.1:8787/webhooks/telnyx)

Call Control API (any bearer key):
  POST /v2/calls                      Dial: a new outgoing leg (to containing \"noanswer\" times out)
  POST /v2/calls/{id}/actions/{name}  the twelve actions

Routes of its own:
  POST /simulator/calls               {\"from\",\"to\"} (optional): an inbound call; 201 {\"call_control_id\"}
  POST /simulator/calls/{id}/dtmf     {\"digits\":\"*1\"}: one call.dtmf.received per digit
  POST /simulator/calls/{id}/hangup   the far side hangs up
  GET  /simulator/commands            every command received";

struct Options {
    port: u16,
    webhook_url: String,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        port: 8788,
        webhook_url: "http://127.0.0.1:8787/webhooks/telnyx".into(),
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                let text = value("--port")?;
                options.port = text
                    .parse()
                    .map_err(|_| format!("--port: {text:?} is not a port number"))?;
            }
            "--webhook-url" => options.webhook_url = value("--webhook-url")?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unexpected argument {other}")),
        }
    }
    if !options.webhook_url.starts_with("http://") && !options.webhook_url.starts_with("https://") {
        return Err(format!(
            "--webhook-url: {:?} is not an http(s) URL",
            options.webhook_url
        ));
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match options_or_usage("telnyx-sim", USAGE, parse_args(std::env::args().skip(1)))
    {
        Ok(options) => options,
        Err(code) => return code,
    };
    match SimServer::start(options.port, &options.webhook_url) {
        Ok(server) => {
            println!(
                "telnyx-sim: Call Control API at {}/v2, webhooks to {}",
                server.base, options.webhook_url
            );
            server.wait();
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("telnyx-sim: {error}");
            ExitCode::FAILURE
        }
    }
}
