//! The Jupyter wire format (messaging protocol 5.3): a message as ZeroMQ frames
//! `[identities…, <IDS|MSG>, signature, header, parent_header, metadata, content,
//! buffers…]`, HMAC-SHA256 signatures over the four JSON frames, fresh headers.

use bytes::Bytes;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

pub const PROTOCOL_VERSION: &str = "5.3";
const DELIMITER: &[u8] = b"<IDS|MSG>";

/// One message: who sent it (ROUTER identities), and its four JSON parts.
#[derive(Clone, Debug)]
pub struct Message {
    pub identities: Vec<Bytes>,
    pub header: Value,
    pub parent: Value,
    pub metadata: Value,
    pub content: Value,
}

impl Message {
    /// A new message of `msg_type` with a fresh header and no parent.
    pub fn new(msg_type: &str, content: Value) -> Message {
        Message {
            identities: Vec::new(),
            header: header(msg_type),
            parent: json!({}),
            metadata: json!({}),
            content,
        }
    }

    pub fn msg_type(&self) -> &str {
        self.header["msg_type"].as_str().unwrap_or("")
    }

    pub fn msg_id(&self) -> &str {
        self.header["msg_id"].as_str().unwrap_or("")
    }

    /// A message caused by this one (a reply, or an iopub message about it): its parent
    /// header is this message's header and it goes back to the same identities.
    pub fn child(&self, msg_type: &str, content: Value) -> Message {
        Message {
            identities: self.identities.clone(),
            header: header(msg_type),
            parent: self.header.clone(),
            metadata: json!({}),
            content,
        }
    }

    /// An iopub message about this one (its topic frame instead of identities).
    pub fn broadcast(&self, msg_type: &str, content: Value) -> Message {
        Message::iopub(&self.header, msg_type, content)
    }

    /// An iopub message whose parent has the header `parent`.
    pub fn iopub(parent: &Value, msg_type: &str, content: Value) -> Message {
        Message {
            identities: vec![Bytes::from(format!("kernel.{}.{msg_type}", session_id()))],
            header: header(msg_type),
            parent: parent.clone(),
            metadata: json!({}),
            content,
        }
    }

    /// The `<msg_type>_reply` to this request.
    pub fn reply(&self, content: Value) -> Message {
        let t = self.msg_type();
        let reply_type = match t.strip_suffix("_request") {
            Some(base) => format!("{base}_reply"),
            None => format!("{t}_reply"),
        };
        self.child(&reply_type, content)
    }
}

/// Signs and checks messages with the connection file's key; an empty key means no
/// signatures (the protocol allows it).
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl Signer {
    pub fn new(key: &str) -> Signer {
        Signer {
            key: key.as_bytes().to_vec(),
        }
    }

    fn mac(&self, parts: &[&[u8]]) -> Option<Hmac<Sha256>> {
        if self.key.is_empty() {
            return None;
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        for p in parts {
            mac.update(p);
        }
        Some(mac)
    }

    /// The hex signature of the four JSON frames ("" without a key).
    pub fn sign(&self, parts: &[&[u8]]) -> String {
        match self.mac(parts) {
            Some(mac) => hex(&mac.finalize().into_bytes()),
            None => String::new(),
        }
    }

    /// Constant-time check of a received signature.
    pub fn verify(&self, parts: &[&[u8]], signature: &[u8]) -> bool {
        match self.mac(parts) {
            None => true,
            Some(mac) => match unhex(signature) {
                Some(bytes) => mac.verify_slice(&bytes).is_ok(),
                None => false,
            },
        }
    }
}

/// Encode a message as frames, signed.
pub fn encode(msg: &Message, signer: &Signer) -> Vec<Bytes> {
    let header = msg.header.to_string().into_bytes();
    let parent = msg.parent.to_string().into_bytes();
    let metadata = msg.metadata.to_string().into_bytes();
    let content = msg.content.to_string().into_bytes();
    let signature = signer.sign(&[&header, &parent, &metadata, &content]);
    let mut frames: Vec<Bytes> = msg.identities.clone();
    frames.push(Bytes::from_static(DELIMITER));
    frames.push(Bytes::from(signature));
    frames.push(Bytes::from(header));
    frames.push(Bytes::from(parent));
    frames.push(Bytes::from(metadata));
    frames.push(Bytes::from(content));
    frames
}

/// Decode frames into a message, checking the signature.
pub fn decode(frames: Vec<Bytes>, signer: &Signer) -> Result<Message, String> {
    let split = frames
        .iter()
        .position(|f| f.as_ref() == DELIMITER)
        .ok_or("no <IDS|MSG> delimiter")?;
    let identities = frames[..split].to_vec();
    let rest = &frames[split + 1..];
    if rest.len() < 5 {
        return Err(format!("{} frames after the delimiter, need 5", rest.len()));
    }
    let parts: Vec<&[u8]> = rest[1..5].iter().map(|b| b.as_ref()).collect();
    if !signer.verify(&parts, &rest[0]) {
        return Err("bad signature".to_string());
    }
    let parse = |b: &[u8], what: &str| -> Result<Value, String> {
        serde_json::from_slice(b).map_err(|e| format!("{what} is not JSON: {e}"))
    };
    Ok(Message {
        identities,
        header: parse(parts[0], "header")?,
        parent: parse(parts[1], "parent header")?,
        metadata: parse(parts[2], "metadata")?,
        content: parse(parts[3], "content")?,
    })
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn unhex(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.chunks(2)
        .map(|p| Some(digit(p[0])? * 16 + digit(p[1])?))
        .collect()
}

/// 64 random bits (std's randomly keyed hasher over a counter).
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// A random id in UUID form.
pub fn new_id() -> String {
    let (a, b) = (random_u64(), random_u64());
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// This kernel process's session id.
pub fn session_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(new_id)
}

fn header(msg_type: &str) -> Value {
    json!({
        "msg_id": new_id(),
        "session": session_id(),
        "username": "tsr",
        "date": now_iso8601(),
        "msg_type": msg_type,
        "version": PROTOCOL_VERSION,
    })
}

/// The current UTC time as ISO 8601 with microseconds.
pub fn now_iso8601() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        now.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_signature() {
        let signer = Signer::new("secret");
        let mut m = Message::new("kernel_info_request", json!({}));
        m.identities = vec![Bytes::from_static(b"peer")];
        let frames = encode(&m, &signer);
        let back = decode(frames.clone(), &signer).expect("decodes");
        assert_eq!(back.msg_type(), "kernel_info_request");
        assert_eq!(back.identities, m.identities);
        let mut bad = frames;
        let n = bad.len();
        bad[n - 1] = Bytes::from_static(b"{\"x\": 1}");
        assert!(decode(bad, &signer).is_err());
        assert!(decode(encode(&m, &signer), &Signer::new("other")).is_err());
    }

    #[test]
    fn date_is_iso() {
        let d = now_iso8601();
        assert_eq!(d.len(), 27, "{d}");
        assert!(d.ends_with('Z') && d.as_bytes()[10] == b'T', "{d}");
    }
}
