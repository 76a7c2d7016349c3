//! What each kind of job does. Every job is idempotent: the queue delivers
//! at least once.

use parley_shared::FileId;

use crate::queue::JobHandler;
use crate::state::AppState;
use crate::store::JobRow;

use super::files::{self, ThumbnailJob, JOB_THUMBNAIL};
use super::{push, search};

pub struct Jobs {
    state: AppState,
}

impl Jobs {
    pub fn new(state: AppState) -> Jobs {
        Jobs { state }
    }
}

#[async_trait::async_trait]
impl JobHandler for Jobs {
    async fn run(&self, job: &JobRow) -> Result<(), String> {
        match job.kind.as_str() {
            JOB_THUMBNAIL => {
                let j: ThumbnailJob =
                    serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
                match files::ensure_thumbnail(&self.state, FileId(j.file_id)).await {
                    Ok(_) => Ok(()),
                    // The file is gone (its uploader was deleted): nothing to do.
                    Err(crate::error::ApiError::NotFound(_)) => Ok(()),
                    Err(e) => Err(e.to_string()),
                }
            }
            push::JOB_PUSH => {
                let j = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
                push::run_push_job(&self.state, j).await
            }
            search::JOB_INDEX => {
                let j = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
                search::run_index_job(&self.state, j).await
            }
            search::JOB_REINDEX => {
                let j = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
                search::run_reindex_job(&self.state, j).await
            }
            other => {
                // A job from a newer version of the server, or a bug: keep
                // it (dead-lettered after retries) rather than drop it.
                Err(format!("unknown job kind {other:?}"))
            }
        }
    }
}
