//! The authentication handshake: HMAC-SHA256 challenge-response, as Python's
//! `deliver_challenge` / `answer_challenge`.
//!
//! The challenger sends `#CHALLENGE#{sha256}` followed by 32 random bytes; the answerer
//! returns `{sha256}` followed by the HMAC-SHA256, under the shared key, of everything after
//! `#CHALLENGE#`; the challenger compares in constant time and replies `#WELCOME#` or
//! `#FAILURE#`. The server challenges first, then the client. Every handshake message is
//! read with a limit of [`MAX_HANDSHAKE_MESSAGE`] bytes, so a peer without the key cannot
//! make the other side allocate or process anything else. The whole handshake, both
//! directions, runs against one deadline: a peer sending a byte now and then cannot hold
//! the other side longer than the handshake timeout.

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::connection::Connection;
use super::error::{ConnectionError, ConnectionErrorKind};

/// The largest handshake message accepted (Python's limit, too).
pub(crate) const MAX_HANDSHAKE_MESSAGE: usize = 256;
/// How long the whole handshake may take by default.
pub(crate) const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);

const CHALLENGE: &[u8] = b"#CHALLENGE#";
const WELCOME: &[u8] = b"#WELCOME#";
const FAILURE: &[u8] = b"#FAILURE#";
const DIGEST: &[u8] = b"{sha256}";
const NONCE_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8], message: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac
}

/// Receives a handshake message; an oversized or cut message is an authentication failure.
fn recv_small(conn: &Connection, deadline: Option<Instant>) -> Result<Vec<u8>, ConnectionError> {
    conn.recv_frame(MAX_HANDSHAKE_MESSAGE, deadline)
        .map_err(|err| match err.kind() {
            ConnectionErrorKind::TooLarge => ConnectionError::auth(format!(
                "the peer sent a handshake message over {MAX_HANDSHAKE_MESSAGE} bytes"
            )),
            ConnectionErrorKind::Timeout => ConnectionError::auth(
                "the peer did not complete the handshake within the handshake timeout; \
                 do both sides use an authkey?",
            ),
            ConnectionErrorKind::Io => ConnectionError::auth(format!(
                "no handshake message from the peer ({err}); do both sides use an authkey?"
            )),
            _ => err,
        })
}

/// Sends a handshake message; a peer that does not read it in time fails the handshake.
fn send_small(
    conn: &Connection,
    message: &[u8],
    deadline: Option<Instant>,
) -> Result<(), ConnectionError> {
    conn.send_frame(message, deadline)
        .map_err(|err| match err.kind() {
            ConnectionErrorKind::Io => {
                ConnectionError::auth(format!("cannot send a handshake message ({err})"))
            }
            _ => err,
        })
}

/// Challenges the peer to prove that it knows `key`.
fn deliver_challenge(
    conn: &Connection,
    key: &[u8],
    deadline: Option<Instant>,
) -> Result<(), ConnectionError> {
    let mut nonce = [0u8; NONCE_LEN];
    rustix::rand::getrandom(&mut nonce, rustix::rand::GetRandomFlags::empty())
        .map_err(|e| ConnectionError::io(e.into()))?;
    let message = [DIGEST, &nonce].concat();
    send_small(conn, &[CHALLENGE, &message].concat(), deadline)?;
    let response = recv_small(conn, deadline)?;
    let ok = response
        .strip_prefix(DIGEST)
        .is_some_and(|digest| mac(key, &message).verify_slice(digest).is_ok());
    if ok {
        send_small(conn, WELCOME, deadline)
    } else {
        let _ = send_small(conn, FAILURE, deadline);
        Err(ConnectionError::auth("the digest received was wrong"))
    }
}

/// Answers the peer's challenge with `key`.
fn answer_challenge(
    conn: &Connection,
    key: &[u8],
    deadline: Option<Instant>,
) -> Result<(), ConnectionError> {
    let challenge = recv_small(conn, deadline)?;
    let Some(message) = challenge.strip_prefix(CHALLENGE) else {
        return Err(ConnectionError::auth(
            "the peer did not send a challenge; does it use an authkey?",
        ));
    };
    if !message.starts_with(DIGEST) || message.len() < DIGEST.len() + 20 {
        return Err(ConnectionError::auth(
            "the peer's challenge uses an unknown digest or is too short",
        ));
    }
    let digest = mac(key, message).finalize().into_bytes();
    send_small(conn, &[DIGEST, &digest].concat(), deadline)?;
    if recv_small(conn, deadline)? != WELCOME {
        return Err(ConnectionError::auth("the digest sent was rejected"));
    }
    Ok(())
}

/// The deadline of a handshake that may take `timeout` from now (`None`: no limit).
fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}

/// The server's side: challenge the client, then answer its challenge, all within
/// `timeout`.
pub(crate) fn server_handshake(
    conn: &Connection,
    key: &[u8],
    timeout: Option<Duration>,
) -> Result<(), ConnectionError> {
    let deadline = deadline(timeout);
    deliver_challenge(conn, key, deadline)?;
    answer_challenge(conn, key, deadline)
}

/// The client's side: answer the server's challenge, then challenge it, all within
/// `timeout`.
pub(crate) fn client_handshake(
    conn: &Connection,
    key: &[u8],
    timeout: Option<Duration>,
) -> Result<(), ConnectionError> {
    let deadline = deadline(timeout);
    answer_challenge(conn, key, deadline)?;
    deliver_challenge(conn, key, deadline)
}
