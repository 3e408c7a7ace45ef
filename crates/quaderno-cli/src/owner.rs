//! Answering the other `quaderno` processes on the data folder's socket while this one owns
//! the relay connections (see `quaderno_client::sync::owner`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use quaderno_client::sync::owner::{Answer, Request, read_request, write_answer};
use tokio::io::BufReader;
use tokio::net::UnixListener;
use tokio_util::sync::CancellationToken;

/// What this process answers to a request.
pub type Answering =
    Arc<dyn Fn(Request) -> Pin<Box<dyn Future<Output = Answer> + Send>> + Send + Sync>;

/// Answers requests on `listener` until `stop` is cancelled, one connection at a time (a
/// request to sync may take a while; the others wait their turn).
pub async fn answer_requests(
    listener: UnixListener,
    answering: Answering,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.cancelled() => return,
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        let mut stream = BufReader::new(stream);
        let Some(request) = read_request(&mut stream).await else {
            continue;
        };
        let answer = tokio::select! {
            answer = answering(request) => answer,
            _ = stop.cancelled() => return,
        };
        write_answer(&mut stream, &answer).await;
        if answer == Answer::HandedOver {
            return;
        }
    }
}
