//! The runtimes the adapter builds have tokio's I/O driver when tokio's `net` feature is in
//! the build, so tokio's sockets (and reqwest or hyper on them) work there; with only the time
//! driver they panicked with "IO is disabled".
#![allow(clippy::unwrap_used)]

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wrangle_core::Runtime;
use wrangle_tokio::Tokio;

fn echo_once(rt: &Tokio) {
    let got = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0; 5];
            socket.read_exact(&mut buf).await.unwrap();
            socket.write_all(&buf).await.unwrap();
        });
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        client.write_all(b"hello").await.unwrap();
        let mut buf = [0; 5];
        client.read_exact(&mut buf).await.unwrap();
        server.await.unwrap();
        buf
    });
    assert_eq!(&got, b"hello");
}

#[test]
fn sockets_work_on_a_multi_thread_runtime() {
    echo_once(&Tokio::multi_thread().unwrap());
}

#[test]
fn sockets_work_on_a_current_thread_runtime() {
    echo_once(&Tokio::current_thread().unwrap());
}

#[test]
fn sockets_work_on_a_built_runtime() {
    echo_once(
        &wrangle_tokio::TokioBuilder::current_thread()
            .build()
            .unwrap(),
    );
}
