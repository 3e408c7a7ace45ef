//! Driving one connection until its documents reach a state, with a deadline.

use thiserror::Error;
use tokio::time::Instant;

use crate::conn::{ConnError, Connection};
use crate::replica::Replica;

#[derive(Debug, Error)]
pub enum PumpError {
    #[error("not done by the deadline")]
    Timeout,
    #[error(transparent)]
    Conn(#[from] ConnError),
}

/// Receives, applies and answers until `done` holds; also returns every `error` the relay sent.
pub async fn until(
    conn: &mut Connection,
    replica: &mut Replica,
    deadline: Instant,
    done: impl Fn(&Replica) -> bool,
) -> Result<Vec<String>, PumpError> {
    let mut errors = Vec::new();
    while !done(replica) {
        let messages = tokio::time::timeout_at(deadline, conn.recv())
            .await
            .map_err(|_| PumpError::Timeout)??;
        let received = replica.receive(messages);
        errors.extend(received.errors);
        conn.send(received.replies).await?;
    }
    Ok(errors)
}
