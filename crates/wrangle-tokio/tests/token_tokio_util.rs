//! wrangle's `CancellationToken` to and from tokio-util's: the converted token follows its
//! source, one way only, and the watcher task ends as soon as either token fires.
#![cfg(feature = "tokio-util")]

use std::time::Duration;

use tokio_util::sync::CancellationToken as TokioUtilToken;
use wrangle_core::{CancellationToken, Runtime};
use wrangle_tokio::Tokio;
use wrangle_tokio::token::{from_tokio_util, to_tokio_util};

/// Waits (up to 5 s of real time, generous for a loaded machine) until the runtime has
/// `alive` tasks.
async fn alive_tasks_become(rt: &Tokio, alive: usize) -> bool {
    for _ in 0..5000 {
        if rt.handle().metrics().num_alive_tasks() == alive {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    false
}

#[test]
fn wrangle_to_tokio_util_follows_the_source() {
    let rt = Tokio::current_thread().unwrap();
    rt.block_on(async {
        let ours = CancellationToken::new();
        let theirs = to_tokio_util(&rt, &ours);
        assert!(alive_tasks_become(&rt, 1).await, "one watcher");
        assert!(!theirs.is_cancelled());
        ours.cancel();
        theirs.cancelled().await;
        assert!(alive_tasks_become(&rt, 0).await, "the watcher ended");

        // One way only; cancelling the converted token ends the watcher too.
        let ours = CancellationToken::new();
        let theirs = to_tokio_util(&rt, &ours);
        theirs.cancel();
        assert!(alive_tasks_become(&rt, 0).await, "the watcher ended");
        assert!(!ours.is_cancelled());

        // Already cancelled: at once, no watcher.
        let theirs = to_tokio_util(&rt, &ours_cancelled());
        assert!(theirs.is_cancelled());
        assert_eq!(rt.handle().metrics().num_alive_tasks(), 0);
    });
}

#[test]
fn tokio_util_to_wrangle_follows_the_source() {
    let rt = Tokio::multi_thread().unwrap();
    rt.block_on(async {
        let theirs = TokioUtilToken::new();
        let ours = from_tokio_util(&rt, &theirs);
        assert!(alive_tasks_become(&rt, 1).await, "one watcher");
        theirs.cancel();
        ours.cancelled().await;
        assert!(alive_tasks_become(&rt, 0).await, "the watcher ended");

        let theirs = TokioUtilToken::new();
        let ours = from_tokio_util(&rt, &theirs);
        ours.cancel();
        assert!(alive_tasks_become(&rt, 0).await, "the watcher ended");
        assert!(!theirs.is_cancelled());

        // A child of the converted token follows the tokio-util source, through wrangle.
        let theirs = TokioUtilToken::new();
        let child = from_tokio_util(&rt, &theirs).child_token();
        theirs.cancel();
        child.cancelled().await;

        let theirs = TokioUtilToken::new();
        theirs.cancel();
        assert!(from_tokio_util(&rt, &theirs).is_cancelled());
    });
}

fn ours_cancelled() -> CancellationToken {
    let token = CancellationToken::new();
    token.cancel();
    token
}
