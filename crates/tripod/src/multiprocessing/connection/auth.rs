//! The authentication handshake: HMAC-SHA256 challenge-response, as Python's
//! `deliver_challenge` / `answer_challenge`.
//!
//! The challenger sends `#CHALLENGE#{sha256}` followed by 32 random bytes; the answerer
//! returns `{sha256}` followed by the HMAC-SHA256, under the shared key, of everything after
//! `#CHALLENGE#`; the challenger compares in constant time and replies `#WELCOME#` or
//! `#FAILURE#`. The server challenges first, then the client. Every handshake message is
//! read with a limit of [`MAX_HANDSHAKE_MESSAGE`] bytes, so a peer without the key cannot
//! make the other side allocate or process anything else.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::connection::Connection;
use super::error::{ConnectionError, ConnectionErrorKind};

/// The largest handshake message accepted (Python's limit, too).
pub(crate) const MAX_HANDSHAKE_MESSAGE: usize = 256;
/// How long each side waits for the other during the handshake by default.
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
fn recv_small(conn: &Connection) -> Result<Vec<u8>, ConnectionError> {
    conn.recv_bytes_limited(MAX_HANDSHAKE_MESSAGE)
        .map_err(|err| match err.kind() {
            ConnectionErrorKind::TooLarge => ConnectionError::auth(format!(
                "the peer sent a handshake message over {MAX_HANDSHAKE_MESSAGE} bytes"
            )),
            ConnectionErrorKind::Io => ConnectionError::auth(format!(
                "no handshake message from the peer ({err}); do both sides use an authkey?"
            )),
            _ => err,
        })
}

/// Challenges the peer to prove that it knows `key`.
fn deliver_challenge(conn: &Connection, key: &[u8]) -> Result<(), ConnectionError> {
    let mut nonce = [0u8; NONCE_LEN];
    rustix::rand::getrandom(&mut nonce, rustix::rand::GetRandomFlags::empty())
        .map_err(|e| ConnectionError::io(e.into()))?;
    let message = [DIGEST, &nonce].concat();
    conn.send_bytes(&[CHALLENGE, &message].concat())?;
    let response = recv_small(conn)?;
    let ok = response
        .strip_prefix(DIGEST)
        .is_some_and(|digest| mac(key, &message).verify_slice(digest).is_ok());
    if ok {
        conn.send_bytes(WELCOME)
    } else {
        let _ = conn.send_bytes(FAILURE);
        Err(ConnectionError::auth("the digest received was wrong"))
    }
}

/// Answers the peer's challenge with `key`.
fn answer_challenge(conn: &Connection, key: &[u8]) -> Result<(), ConnectionError> {
    let challenge = recv_small(conn)?;
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
    conn.send_bytes(&[DIGEST, &digest].concat())?;
    if recv_small(conn)? != WELCOME {
        return Err(ConnectionError::auth("the digest sent was rejected"));
    }
    Ok(())
}

/// The server's side: challenge the client, then answer its challenge.
pub(crate) fn server_handshake(conn: &Connection, key: &[u8]) -> Result<(), ConnectionError> {
    deliver_challenge(conn, key)?;
    answer_challenge(conn, key)
}

/// The client's side: answer the server's challenge, then challenge it.
pub(crate) fn client_handshake(conn: &Connection, key: &[u8]) -> Result<(), ConnectionError> {
    answer_challenge(conn, key)?;
    deliver_challenge(conn, key)
}

/// Runs `handshake` on a socket connection with send and receive timeouts, then clears
/// them.
pub(crate) fn with_timeout(
    conn: &Connection,
    timeout: Option<Duration>,
    handshake: impl FnOnce(&Connection) -> Result<(), ConnectionError>,
) -> Result<(), ConnectionError> {
    use rustix::net::sockopt::{Timeout, set_socket_timeout};
    let fd = conn.stream()?.fd();
    let set = |t: Option<Duration>| -> Result<(), ConnectionError> {
        for which in [Timeout::Recv, Timeout::Send] {
            set_socket_timeout(fd, which, t).map_err(|e| ConnectionError::io(e.into()))?;
        }
        Ok(())
    };
    set(timeout.filter(|t| !t.is_zero()))?;
    handshake(conn)?;
    set(None)
}
