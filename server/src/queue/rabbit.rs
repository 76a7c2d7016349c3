//! RabbitMQ adapter of the Queue port (placeholder until the relay lands).

use std::sync::Arc;

use tokio::sync::Notify;

use super::JobHandler;
use crate::store::Store;

pub fn start(_url: String, store: Store, handler: Arc<dyn JobHandler>, wake: Arc<Notify>) {
    tokio::spawn(super::run_in_process(store, handler, wake));
}
