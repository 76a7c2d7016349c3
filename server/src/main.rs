//! `parley-server`: read the config, start logging, serve until SIGTERM/Ctrl-C.

use parley_server::{config::Config, telemetry};

// Every request allocates dozens of small, short-lived buffers across
// threads; glibc's allocator spent a tenth of the server's CPU on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    telemetry::init(config.log_format);
    let app = parley_server::build(config).await?;
    tracing::info!(url = %format!("http://{}", app.local_addr()), "parley is listening");
    println!("Parley is running at http://{}", app.local_addr());
    app.serve(parley_server::shutdown_signal()).await?;
    Ok(())
}
