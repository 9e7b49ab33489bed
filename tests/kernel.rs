//! `tsr kernel` driven through ZeroMQ as a Jupyter front-end would: a connection file
//! with a key, DEALER sockets on shell and control, SUB on iopub, REQ on heartbeat;
//! every message signed, every reply's signature checked.

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tsr::front::kernel::wire::{self, Message, Signer};
use zeromq::{DealerSocket, ReqSocket, Socket, SocketRecv, SocketSend, SubSocket, ZmqMessage};

const KEY: &str = "a0436f6c-1916-498b-8eb9-e81ab9368e84";
const WAIT: Duration = Duration::from_secs(30);

struct Kernel {
    child: Child,
    shell: DealerSocket,
    control: DealerSocket,
    iopub: SubSocket,
    hb: ReqSocket,
    signer: Signer,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Kernel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("addr").port())
        .collect()
}

fn to_zmq(frames: Vec<bytes::Bytes>) -> ZmqMessage {
    ZmqMessage::try_from(frames).expect("frames")
}

impl Kernel {
    /// Start a kernel and connect to it; also returns how long the first
    /// `kernel_info_reply` took from the process start.
    async fn start(name: &str) -> (Kernel, Duration) {
        let dir = std::env::temp_dir().join(format!("tsr-kernel-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let ports = free_ports(5);
        let conn = json!({
            "transport": "tcp", "ip": "127.0.0.1", "key": KEY,
            "signature_scheme": "hmac-sha256", "kernel_name": "tsr",
            "shell_port": ports[0], "iopub_port": ports[1], "stdin_port": ports[2],
            "control_port": ports[3], "hb_port": ports[4],
        });
        let file = dir.join("connection.json");
        std::fs::write(&file, conn.to_string()).expect("connection file");
        let started = Instant::now();
        let child = Command::new(env!("CARGO_BIN_EXE_tsr"))
            .arg("kernel")
            .arg(&file)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .spawn()
            .expect("start tsr kernel");
        let endpoint = |p: u16| format!("tcp://127.0.0.1:{p}");
        let mut shell = DealerSocket::new();
        shell.connect(&endpoint(ports[0])).await.expect("shell");
        let mut iopub = SubSocket::new();
        iopub.connect(&endpoint(ports[1])).await.expect("iopub");
        iopub.subscribe("").await.expect("subscribe");
        let mut control = DealerSocket::new();
        control.connect(&endpoint(ports[3])).await.expect("control");
        let mut hb = ReqSocket::new();
        hb.connect(&endpoint(ports[4])).await.expect("hb");
        let mut k = Kernel {
            child,
            shell,
            control,
            iopub,
            hb,
            signer: Signer::new(KEY),
            _dir: TempDir(dir),
        };
        let (reply, _) = k.request("kernel_info_request", json!({})).await;
        let took = started.elapsed();
        assert_eq!(reply.content["status"], "ok");
        assert_eq!(reply.content["language_info"]["name"], "tsr");
        assert_eq!(reply.content["protocol_version"], "5.3");
        (k, took)
    }

    async fn send(&mut self, control: bool, msg: &Message) {
        let frames = to_zmq(wire::encode(msg, &self.signer));
        let socket = if control {
            &mut self.control
        } else {
            &mut self.shell
        };
        socket.send(frames).await.expect("send");
    }

    async fn reply(&mut self, control: bool) -> Message {
        let socket = if control {
            &mut self.control
        } else {
            &mut self.shell
        };
        let frames = tokio::time::timeout(WAIT, socket.recv())
            .await
            .expect("a reply in time")
            .expect("recv");
        wire::decode(frames.into_vec(), &self.signer).expect("a correctly signed reply")
    }

    /// The next iopub message about `parent` (others are skipped).
    async fn iopub_about(&mut self, parent: &str) -> Message {
        loop {
            let frames = tokio::time::timeout(WAIT, self.iopub.recv())
                .await
                .expect("an iopub message in time")
                .expect("recv");
            let msg = wire::decode(frames.into_vec(), &self.signer).expect("signed iopub");
            if msg.parent["msg_id"] == parent {
                return msg;
            }
        }
    }

    /// Iopub messages about `parent` from `busy` to `idle`, without the two statuses.
    async fn outputs(&mut self, parent: &str) -> Vec<Message> {
        let first = self.iopub_about(parent).await;
        assert_eq!(first.msg_type(), "status");
        assert_eq!(first.content["execution_state"], "busy");
        let mut out = Vec::new();
        loop {
            let msg = self.iopub_about(parent).await;
            if msg.msg_type() == "status" {
                assert_eq!(msg.content["execution_state"], "idle");
                return out;
            }
            out.push(msg);
        }
    }

    async fn request(&mut self, msg_type: &str, content: Value) -> (Message, Vec<Message>) {
        let msg = Message::new(msg_type, content);
        self.send(false, &msg).await;
        let reply = self.reply(false).await;
        assert_eq!(reply.parent["msg_id"], msg.msg_id());
        assert_eq!(reply.msg_type(), msg_type.replace("_request", "_reply"));
        let outputs = self.outputs(msg.msg_id()).await;
        (reply, outputs)
    }

    async fn execute(&mut self, code: &str) -> (Message, Vec<Message>) {
        self.request(
            "execute_request",
            json!({"code": code, "silent": false, "store_history": true,
                   "user_expressions": {}, "allow_stdin": false, "stop_on_error": true}),
        )
        .await
    }
}

fn stdout_of(outputs: &[Message]) -> String {
    outputs
        .iter()
        .filter(|m| m.msg_type() == "stream" && m.content["name"] == "stdout")
        .map(|m| m.content["text"].as_str().unwrap_or("").to_string())
        .collect()
}

fn of_type<'a>(outputs: &'a [Message], t: &str) -> Vec<&'a Message> {
    outputs.iter().filter(|m| m.msg_type() == t).collect()
}

#[tokio::test]
async fn execute_and_its_outputs() {
    let (mut k, took) = Kernel::start("execute").await;
    eprintln!("kernel start to kernel_info_reply: {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");

    // Heartbeat echoes.
    k.hb.send(ZmqMessage::from("ping")).await.expect("hb send");
    let pong = tokio::time::timeout(WAIT, k.hb.recv())
        .await
        .expect("hb in time")
        .expect("hb");
    assert_eq!(pong.get(0).map(|b| b.to_vec()), Some(b"ping".to_vec()));

    // print streams, a bare expression is the execute_result, with an HTML table.
    let (reply, out) = k
        .execute("x = arange(6).reshape(2, 3)\nprint('hello', 1 + 2)\nx")
        .await;
    assert_eq!(reply.content["status"], "ok");
    assert_eq!(reply.content["execution_count"], 1);
    assert_eq!(out[0].msg_type(), "execute_input");
    assert_eq!(stdout_of(&out), "hello 3\n");
    let result = of_type(&out, "execute_result");
    assert_eq!(result.len(), 1);
    assert_eq!(result[0].content["execution_count"], 1);
    let data = &result[0].content["data"];
    assert_eq!(
        data["text/plain"],
        "tensor([[0., 1., 2.],\n        [3., 4., 5.]])"
    );
    let html = data["text/html"].as_str().expect("html table");
    assert!(
        html.contains("<table") && html.contains("<td style=\"text-align: right\">5</td>"),
        "{html}"
    );

    // A shape error: an error reply with the miette rendering in colour; nothing changed.
    let (reply, out) = k.execute("y = 5\nz = x @ x").await;
    assert_eq!(reply.content["status"], "error");
    assert_eq!(reply.content["ename"], "shape::matmul");
    assert_eq!(reply.content["execution_count"], 2);
    let tb = reply.content["traceback"].as_array().expect("traceback");
    let text: Vec<&str> = tb.iter().filter_map(|l| l.as_str()).collect();
    let text = text.join("\n");
    assert!(text.contains("\u{1b}["), "colour: {text}");
    assert!(text.contains("cannot multiply [2, 3] by [2, 3]"), "{text}");
    assert_eq!(of_type(&out, "error").len(), 1);
    let (_, out) = k.execute("y").await;
    assert_eq!(
        of_type(&out, "execute_result")[0].content["data"]["text/plain"],
        "5"
    );

    // Warnings go to stderr.
    let (reply, out) = k
        .execute("p = tensor([0, 0.5])\nl = log(p)\nprint(1)")
        .await;
    assert_eq!(reply.content["status"], "ok");
    let stderr: Vec<&Message> = out
        .iter()
        .filter(|m| m.msg_type() == "stream" && m.content["name"] == "stderr")
        .collect();
    assert!(
        stderr[0].content["text"]
            .as_str()
            .unwrap()
            .contains("nan or inf"),
        "{out:?}"
    );
    assert_eq!(stdout_of(&out), "1\n");

    // plot(...) is an SVG display_data.
    let (reply, out) = k.execute("plot([3, 2, 1.5, 1], title=\"loss\")").await;
    assert_eq!(reply.content["status"], "ok");
    let shown = of_type(&out, "display_data");
    assert_eq!(shown.len(), 1);
    let svg = shown[0].content["data"]["image/svg+xml"]
        .as_str()
        .expect("svg");
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(
        stdout_of(&out).is_empty(),
        "no terminal chart in a notebook"
    );

    // silent: nothing published, the count does not move.
    let (reply, out) = k
        .request(
            "execute_request",
            json!({"code": "print('quiet')\n7", "silent": true, "store_history": false}),
        )
        .await;
    assert_eq!(reply.content["status"], "ok");
    assert!(out.is_empty(), "{out:?}");
    // store_history false: runs, shows, but no new count.
    let (reply, out) = k
        .request(
            "execute_request",
            json!({"code": "8", "silent": false, "store_history": false}),
        )
        .await;
    assert_eq!(reply.content["execution_count"], 5);
    assert_eq!(of_type(&out, "execute_result").len(), 1);

    // REPL commands and IPython magics.
    let (_, out) = k.execute(":vars").await;
    let vars = of_type(&out, "display_data");
    assert!(vars[0].content["data"]["text/html"]
        .as_str()
        .unwrap()
        .contains("<td style=\"text-align: left\">x</td>"));
    let (reply, out) = k.execute("%time s = sum(x)\n%matplotlib inline").await;
    assert_eq!(reply.content["status"], "ok");
    assert!(stdout_of(&out).contains("time: "), "{out:?}");
    let (reply, out) = k.execute("%%time\nfor i in range(3):\n    t = i").await;
    assert_eq!(reply.content["status"], "ok");
    assert!(stdout_of(&out).contains("time: "));
    let (reply, _) = k.execute("q = 1\n%who").await;
    assert_eq!(reply.content["ename"], "kernel::magic");
    let (reply, _) = k.execute("q").await;
    assert_eq!(
        reply.content["ename"], "name::unknown",
        "a refused cell runs nothing"
    );
    let (_, out) = k.execute(":help relu").await;
    assert!(stdout_of(&out).contains("relu("));

    // 10,000 lines arrive, all of them, in order.
    let (reply, out) = k.execute("for i in range(10000):\n    print(i)").await;
    assert_eq!(reply.content["status"], "ok");
    let text = stdout_of(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 10000);
    assert_eq!(lines[9999], "9999");
}

#[tokio::test]
async fn streams_while_the_cell_runs() {
    let (mut k, _) = Kernel::start("stream").await;
    // A second of work after the first line, however fast the build.
    let code = "print('first')\nt0 = perf_counter()\nwhile perf_counter() - t0 < 1:\n    t = 1\nprint('last')";
    let msg = Message::new(
        "execute_request",
        json!({"code": code, "silent": false, "store_history": true}),
    );
    let sent = Instant::now();
    k.send(false, &msg).await;
    let mut first_at = None;
    loop {
        let m = k.iopub_about(msg.msg_id()).await;
        if m.msg_type() == "stream" && first_at.is_none() {
            assert!(m.content["text"].as_str().unwrap().starts_with("first"));
            first_at = Some(sent.elapsed());
        }
        if m.msg_type() == "status" && m.content["execution_state"] == "idle" {
            break;
        }
    }
    let total = sent.elapsed();
    let first = first_at.expect("a stream message");
    eprintln!("first line after {first:?}, cell done after {total:?}");
    assert!(first * 2 < total, "first line at {first:?} of {total:?}");
    let reply = k.reply(false).await;
    assert_eq!(reply.content["status"], "ok");
}

#[tokio::test]
async fn requests_besides_execute() {
    let (mut k, _) = Kernel::start("requests").await;
    k.execute("weights = ones(3)\ndef f(a, b=2):\n    return a + b\n")
        .await;

    let (reply, _) = k
        .request(
            "complete_request",
            json!({"code": "y = wei", "cursor_pos": 7}),
        )
        .await;
    assert_eq!(reply.content["matches"], json!(["weights"]));
    assert_eq!(reply.content["cursor_start"], 4);
    assert_eq!(reply.content["cursor_end"], 7);
    let (reply, _) = k
        .request(
            "complete_request",
            json!({"code": "x = 1\nsigm", "cursor_pos": 10}),
        )
        .await;
    assert_eq!(reply.content["matches"], json!(["sigmoid"]));
    assert_eq!(reply.content["cursor_start"], 6);

    let (reply, _) = k
        .request(
            "inspect_request",
            json!({"code": "relu(x)", "cursor_pos": 2, "detail_level": 0}),
        )
        .await;
    assert_eq!(reply.content["found"], true);
    assert!(reply.content["data"]["text/plain"]
        .as_str()
        .unwrap()
        .contains("relu("));
    let (reply, _) = k
        .request(
            "inspect_request",
            json!({"code": "f(1)", "cursor_pos": 1, "detail_level": 0}),
        )
        .await;
    assert!(reply.content["data"]["text/plain"]
        .as_str()
        .unwrap()
        .contains("f(a, b=2)"));
    let (reply, _) = k
        .request(
            "inspect_request",
            json!({"code": "nosuchname", "cursor_pos": 3, "detail_level": 0}),
        )
        .await;
    assert_eq!(reply.content["found"], false);

    for (code, status) in [
        ("x = 1", "complete"),
        ("for i in range(3):", "incomplete"),
        ("x = (1 +", "incomplete"),
        ("x = )", "invalid"),
    ] {
        let (reply, _) = k
            .request("is_complete_request", json!({"code": code}))
            .await;
        assert_eq!(reply.content["status"], status, "{code}");
    }

    let (reply, _) = k
        .request(
            "history_request",
            json!({"hist_access_type": "tail", "n": 5, "output": false, "raw": true}),
        )
        .await;
    let history = reply.content["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0][1], 1);

    let (reply, _) = k.request("comm_info_request", json!({})).await;
    assert_eq!(reply.content["comms"], json!({}));

    // A message with a bad signature is ignored; the kernel goes on.
    let bad = Message::new("kernel_info_request", json!({}));
    let frames = wire::encode(&bad, &Signer::new("not the key"));
    k.shell.send(to_zmq(frames)).await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(500), k.shell.recv())
            .await
            .is_err(),
        "no reply to a forged message"
    );
    let (reply, _) = k.request("kernel_info_request", json!({})).await;
    assert_eq!(reply.content["status"], "ok");
}

#[tokio::test]
async fn interrupt_keeps_state_and_restart_starts_fresh() {
    let (mut k, _) = Kernel::start("interrupt").await;
    k.execute("n = 0\nkept = 42").await;
    let run = Message::new(
        "execute_request",
        json!({"code": "while True:\n    n = n + 1", "silent": false, "store_history": true}),
    );
    k.send(false, &run).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let interrupt = Message::new("interrupt_request", json!({}));
    k.send(true, &interrupt).await;
    let reply = k.reply(true).await;
    assert_eq!(reply.msg_type(), "interrupt_reply");
    assert_eq!(reply.content["status"], "ok");
    let reply = k.reply(false).await;
    assert_eq!(reply.parent["msg_id"], run.msg_id());
    assert_eq!(reply.content["status"], "error");
    assert_eq!(reply.content["ename"], "interrupt");
    let tb: Vec<String> = reply.content["traceback"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    assert!(tb.join("\n").contains("stopped here"), "{tb:?}");
    let (reply, out) = k.execute("print(kept, n > 0)").await;
    assert_eq!(reply.content["status"], "ok");
    assert_eq!(stdout_of(&out), "42 True\n");

    // shutdown with restart: the reply says so and the process ends; a new kernel has
    // none of the old state.
    let shutdown = Message::new("shutdown_request", json!({"restart": true}));
    k.send(true, &shutdown).await;
    let reply = k.reply(true).await;
    assert_eq!(reply.msg_type(), "shutdown_reply");
    assert_eq!(reply.content["restart"], true);
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = k.child.try_wait().expect("wait") {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(Instant::now() < deadline, "the kernel did not exit");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (mut fresh, _) = Kernel::start("restarted").await;
    let (reply, _) = fresh.execute("kept").await;
    assert_eq!(reply.content["ename"], "name::unknown");
}

#[test]
fn install_and_uninstall_the_kernelspec() {
    let dir = std::env::temp_dir().join(format!("tsr-kernelspec-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _cleanup = TempDir(dir.clone());
    let tsr = env!("CARGO_BIN_EXE_tsr");
    let out = Command::new(tsr)
        .args(["kernel", "install", "--prefix"])
        .arg(&dir)
        .output()
        .expect("run tsr");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spec_dir = dir.join("share/jupyter/kernels/tsr");
    let spec: Value =
        serde_json::from_str(&std::fs::read_to_string(spec_dir.join("kernel.json")).unwrap())
            .unwrap();
    let binary = std::path::Path::new(tsr).canonicalize().unwrap();
    assert_eq!(
        spec["argv"],
        json!([binary.to_string_lossy(), "kernel", "{connection_file}"])
    );
    assert_eq!(spec["language"], "tsr");
    assert_eq!(spec["interrupt_mode"], "message");
    for logo in ["logo-32x32.png", "logo-64x64.png"] {
        let bytes = std::fs::read(spec_dir.join(logo)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{logo}");
    }
    // No temporary files are left beside them.
    let names: Vec<String> = std::fs::read_dir(&spec_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let out = Command::new(tsr)
        .args(["kernel", "uninstall", "--prefix"])
        .arg(&dir)
        .output()
        .expect("run tsr");
    assert!(out.status.success());
    assert!(!spec_dir.exists());
    // Misuse is exit status 2.
    let out = Command::new(tsr)
        .args(["kernel", "install", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
