"""The official Telnyx Python SDK's calls.dial, pointed at the worker with base_url.

Run by tests/e2e_dial.rs with the project's virtualenv (target/python-venv):

    python tests/sdk/dial.py <worker base URL> <admin token> <supervised call> <scene>

It prints one JSON object with what the SDK returned or raised, for the Rust side to
check against what reached the fake Telnyx. Scenes:

- dial: a plain Dial, then a supervisor Dial onto <supervised call>, then a Dial the
  worker refuses (an empty `to`), which the SDK raises as UnprocessableEntityError.
- unavailable: a Dial that Telnyx keeps answering 503; the worker retries it under one
  command_id and answers 503 with `x-should-retry: false`, which the SDK honours.
"""

import json
import sys

import telnyx


def main() -> None:
    base_url, token, supervised, scene = sys.argv[1:5]
    # The SDK's own retries stay on (its default, 2): the worker tells it when not to.
    client = telnyx.Telnyx(api_key=token, base_url=base_url)
    result = {"sdk": telnyx.__version__}
    if scene == "dial":
        dialed = client.calls.dial(
            connection_id="conn-sdk",
            to="+13125550100",
            from_="+13125550199",
            client_state="c2RrLWRpYWw=",
        )
        result["dialed"] = dialed.data.call_control_id
        result["dialed_is_alive"] = dialed.data.is_alive
        supervisor = client.calls.dial(
            connection_id="conn-sdk",
            to=["sip:supervisor@pbx.example.com"],
            from_="+13125550199",
            supervise_call_control_id=supervised,
            supervisor_role="monitor",
        )
        result["supervisor"] = supervisor.data.call_control_id
        try:
            client.calls.dial(connection_id="conn-sdk", to=[], from_="+13125550199")
            result["refused"] = None
        except telnyx.UnprocessableEntityError as error:
            result["refused"] = {"status": error.status_code, "body": error.body}
    elif scene == "unavailable":
        try:
            client.calls.dial(connection_id="conn-sdk", to="+13125550101", from_="+1999")
            result["unavailable"] = None
        except telnyx.InternalServerError as error:
            result["unavailable"] = {
                "status": error.status_code,
                "should_retry": error.response.headers.get("x-should-retry"),
            }
    else:
        raise SystemExit(f"unknown scene {scene!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
