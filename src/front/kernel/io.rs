//! The kernel's ZeroMQ side, on its own thread with a single-threaded tokio runtime:
//! binds the five sockets of the connection file, forwards shell requests to the
//! interpreter thread, answers control requests itself (so that an interrupt or a
//! shutdown gets through while a cell runs), echoes heartbeats, and publishes on iopub
//! what the interpreter thread sends back, in order.
//!
//! Iopub is an XPUB socket, so the kernel sees each subscription arrive. Messages
//! published before the first subscriber (a front-end that sends `kernel_info_request`
//! before its iopub subscription is in place, as VS Code does) are kept and replayed
//! when it subscribes, after an `iopub_welcome`: the `idle` a front-end waits for after
//! `kernel_info` is never lost. Stream text is coalesced for at most `STREAM_DELAY`
//! before it is published, so that a cell printing many lines sends a few messages that
//! still arrive while it runs.

use super::wire::{self, Message, Signer};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;
use zeromq::{RepSocket, RouterSocket, Socket, SocketRecv, SocketSend, XPubSocket, ZmqMessage};

/// How long stream text waits for more before it is published.
const STREAM_DELAY: Duration = Duration::from_millis(25);
/// Stream text published at once when this much is waiting.
const STREAM_MAX: usize = 256 * 1024;
/// Iopub messages kept for the first subscriber.
const BACKLOG_MAX: usize = 1000;

/// The parts of a connection file the kernel uses.
#[derive(Clone, Debug)]
pub struct Connection {
    pub transport: String,
    pub ip: String,
    pub key: String,
    pub signature_scheme: String,
    pub shell_port: u16,
    pub iopub_port: u16,
    pub stdin_port: u16,
    pub control_port: u16,
    pub hb_port: u16,
}

impl Connection {
    pub fn parse(text: &str) -> Result<Connection, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let port = |name: &str| -> Result<u16, String> {
            v[name]
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(|| format!("`{name}` is missing or not a port number"))
        };
        let string = |name: &str, default: &str| -> String {
            v[name].as_str().unwrap_or(default).to_string()
        };
        let scheme = string("signature_scheme", "hmac-sha256");
        if scheme != "hmac-sha256" && !string("key", "").is_empty() {
            return Err(format!(
                "signature scheme `{scheme}` is not supported (only hmac-sha256)"
            ));
        }
        Ok(Connection {
            transport: string("transport", "tcp"),
            ip: string("ip", "127.0.0.1"),
            key: string("key", ""),
            signature_scheme: scheme,
            shell_port: port("shell_port")?,
            iopub_port: port("iopub_port")?,
            stdin_port: port("stdin_port")?,
            control_port: port("control_port")?,
            hb_port: port("hb_port")?,
        })
    }

    fn endpoint(&self, port: u16) -> String {
        format!("{}://{}:{port}", self.transport, self.ip)
    }
}

/// What the interpreter thread sends to the I/O thread.
pub enum Out {
    /// A reply on the shell socket (to the identities it carries).
    Shell(Message),
    /// A message published on iopub.
    IoPub(Message),
    /// Text for a `stream` message, coalesced with the text after it.
    Stream {
        name: &'static str,
        text: String,
        parent: Arc<Value>,
    },
}

/// Start the I/O thread. Returns once the sockets are bound (or could not be).
pub fn start(
    conn: Connection,
    requests: mpsc::Sender<Message>,
    outgoing: UnboundedReceiver<Out>,
    interrupt: Arc<AtomicBool>,
) -> Result<std::thread::JoinHandle<()>, String> {
    let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
    let handle = std::thread::Builder::new()
        .name("tsr-kernel-io".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("cannot start the I/O runtime: {e}")));
                    return;
                }
            };
            runtime.block_on(async move {
                let sockets = match Sockets::bind(&conn).await {
                    Ok(s) => {
                        let _ = ready_tx.send(Ok(()));
                        s
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let signer = Signer::new(&conn.key);
                let code = sockets.serve(signer, requests, outgoing, interrupt).await;
                // Give the last replies a moment on the wire, then leave.
                tokio::time::sleep(Duration::from_millis(20)).await;
                std::process::exit(code);
            });
        })
        .map_err(|e| format!("cannot start the I/O thread: {e}"))?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(handle),
        Ok(Err(e)) => Err(e),
        Err(_) => Err("the I/O thread ended before binding its sockets".to_string()),
    }
}

struct Sockets {
    shell: RouterSocket,
    control: RouterSocket,
    stdin: RouterSocket,
    iopub: XPubSocket,
}

/// Iopub state: whether anyone subscribed yet, what waits for them, pending stream text.
struct IoPub {
    socket: XPubSocket,
    signer: Signer,
    subscribed: bool,
    backlog: VecDeque<ZmqMessage>,
    pending: Option<(&'static str, Arc<Value>, String, Instant)>,
}

fn frames(msg: &Message, signer: &Signer) -> Option<ZmqMessage> {
    ZmqMessage::try_from(wire::encode(msg, signer)).ok()
}

impl IoPub {
    async fn publish(&mut self, msg: &Message) {
        self.flush_stream().await;
        self.send(msg).await;
    }

    async fn send(&mut self, msg: &Message) {
        let Some(frames) = frames(msg, &self.signer) else {
            return;
        };
        if self.subscribed {
            let _ = self.socket.send(frames).await;
        } else {
            if self.backlog.len() >= BACKLOG_MAX {
                self.backlog.pop_front();
            }
            self.backlog.push_back(frames);
        }
    }

    async fn stream(&mut self, name: &'static str, text: String, parent: Arc<Value>) {
        if let Some((n, p, buf, _)) = self.pending.as_mut() {
            if *n == name && Arc::ptr_eq(p, &parent) {
                buf.push_str(&text);
                if buf.len() >= STREAM_MAX {
                    self.flush_stream().await;
                }
                return;
            }
        }
        self.flush_stream().await;
        self.pending = Some((name, parent, text, Instant::now() + STREAM_DELAY));
    }

    async fn flush_stream(&mut self) {
        if let Some((name, parent, text, _)) = self.pending.take() {
            let msg = Message::iopub(&parent, "stream", json!({"name": name, "text": text}));
            self.send(&msg).await;
        }
    }

    /// A subscription (or unsubscription) arrived on the XPUB socket.
    async fn subscription(&mut self, frames: ZmqMessage) {
        let subscribes = frames.get(0).and_then(|f| f.first()) == Some(&1);
        if !subscribes {
            return;
        }
        self.subscribed = true;
        let welcome = Message::new("iopub_welcome", json!({"subscription": ""}));
        self.send(&welcome).await;
        while let Some(m) = self.backlog.pop_front() {
            let _ = self.socket.send(m).await;
        }
    }
}

impl Sockets {
    async fn bind(conn: &Connection) -> Result<Sockets, String> {
        let what = |name: &str, port: u16, e: zeromq::ZmqError| {
            format!(
                "cannot bind the {name} socket to {}: {e}",
                conn.endpoint(port)
            )
        };
        let mut shell = RouterSocket::new();
        shell
            .bind(&conn.endpoint(conn.shell_port))
            .await
            .map_err(|e| what("shell", conn.shell_port, e))?;
        let mut control = RouterSocket::new();
        control
            .bind(&conn.endpoint(conn.control_port))
            .await
            .map_err(|e| what("control", conn.control_port, e))?;
        let mut stdin = RouterSocket::new();
        stdin
            .bind(&conn.endpoint(conn.stdin_port))
            .await
            .map_err(|e| what("stdin", conn.stdin_port, e))?;
        let mut iopub = XPubSocket::new();
        iopub
            .bind(&conn.endpoint(conn.iopub_port))
            .await
            .map_err(|e| what("iopub", conn.iopub_port, e))?;
        let mut hb = RepSocket::new();
        hb.bind(&conn.endpoint(conn.hb_port))
            .await
            .map_err(|e| what("heartbeat", conn.hb_port, e))?;
        tokio::spawn(async move {
            loop {
                match hb.recv().await {
                    Ok(ping) => {
                        let _ = hb.send(ping).await;
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        });
        Ok(Sockets {
            shell,
            control,
            stdin,
            iopub,
        })
    }

    /// The loop; returns the exit status when a shutdown was requested or the
    /// interpreter thread ended.
    async fn serve(
        self,
        signer: Signer,
        requests: mpsc::Sender<Message>,
        mut outgoing: UnboundedReceiver<Out>,
        interrupt: Arc<AtomicBool>,
    ) -> i32 {
        let Sockets {
            mut shell,
            mut control,
            mut stdin,
            iopub,
        } = self;
        let mut iopub = IoPub {
            socket: iopub,
            signer: signer.clone(),
            subscribed: false,
            backlog: VecDeque::new(),
            pending: None,
        };
        loop {
            let deadline = iopub
                .pending
                .as_ref()
                .map(|p| p.3)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                received = shell.recv() => {
                    if let Ok(frames) = received {
                        match wire::decode(frames.into_vec(), &signer) {
                            Ok(msg) => {
                                if requests.send(msg).is_err() {
                                    return 1;
                                }
                            }
                            Err(e) => eprintln!("tsr kernel: shell message ignored: {e}"),
                        }
                    }
                }
                received = control.recv() => {
                    if let Ok(frames) = received {
                        match wire::decode(frames.into_vec(), &signer) {
                            Ok(msg) => {
                                let exit = control_request(&msg, &mut control, &mut iopub, &signer, &interrupt).await;
                                if exit {
                                    return 0;
                                }
                            }
                            Err(e) => eprintln!("tsr kernel: control message ignored: {e}"),
                        }
                    }
                }
                received = stdin.recv() => {
                    // The kernel never asks for input; nothing arrives here that needs an answer.
                    let _ = received;
                }
                received = iopub.socket.recv() => {
                    if let Ok(frames) = received {
                        iopub.subscription(frames).await;
                    }
                }
                out = outgoing.recv() => match out {
                    None => return 0,
                    Some(Out::Shell(msg)) => {
                        iopub.flush_stream().await;
                        if let Some(frames) = frames(&msg, &signer) {
                            let _ = shell.send(frames).await;
                        }
                    }
                    Some(Out::IoPub(msg)) => iopub.publish(&msg).await,
                    Some(Out::Stream { name, text, parent }) => iopub.stream(name, text, parent).await,
                },
                _ = tokio::time::sleep_until(deadline), if iopub.pending.is_some() => {
                    iopub.flush_stream().await;
                }
            }
        }
    }
}

/// Answer a control request on the I/O thread; true when the kernel should exit.
async fn control_request(
    msg: &Message,
    control: &mut RouterSocket,
    iopub: &mut IoPub,
    signer: &Signer,
    interrupt: &AtomicBool,
) -> bool {
    let content = match msg.msg_type() {
        "interrupt_request" => {
            interrupt.store(true, Ordering::SeqCst);
            json!({"status": "ok"})
        }
        "shutdown_request" => {
            let restart = msg.content["restart"].as_bool().unwrap_or(false);
            interrupt.store(true, Ordering::SeqCst);
            json!({"status": "ok", "restart": restart})
        }
        "kernel_info_request" => super::handlers::kernel_info(),
        _ => return false,
    };
    iopub
        .publish(&msg.broadcast("status", json!({"execution_state": "busy"})))
        .await;
    if let Some(frames) = frames(&msg.reply(content), signer) {
        let _ = control.send(frames).await;
    }
    iopub
        .publish(&msg.broadcast("status", json!({"execution_state": "idle"})))
        .await;
    msg.msg_type() == "shutdown_request"
}
