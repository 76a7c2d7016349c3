//! What each kind of job does. Every job is idempotent: the queue delivers
//! at least once.

use parley_shared::FileId;

use crate::error::ApiError;
use crate::queue::{JobError, JobHandler};
use crate::search::SearchError;
use crate::state::AppState;
use crate::store::JobRow;

use super::files::{self, ThumbnailJob, JOB_THUMBNAIL};
use super::{push, search};

// The queue sits below search and the service errors in the layer order,
// so it cannot name their types: the conversions live here, with the jobs
// that meet them.
impl From<SearchError> for JobError {
    fn from(e: SearchError) -> Self {
        JobError::Search(e.into())
    }
}

impl From<ApiError> for JobError {
    fn from(e: ApiError) -> Self {
        JobError::Service(e.into())
    }
}

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
    async fn run(&self, job: &JobRow) -> Result<(), JobError> {
        match job.kind.as_str() {
            JOB_THUMBNAIL => {
                let j: ThumbnailJob = serde_json::from_str(&job.payload)?;
                match files::ensure_thumbnail(&self.state, FileId(j.file_id)).await {
                    Ok(_) => Ok(()),
                    // The file is gone (its uploader was deleted): nothing to do.
                    Err(ApiError::NotFound(_)) => Ok(()),
                    Err(e) => Err(e.into()),
                }
            }
            push::JOB_PUSH => {
                let j = serde_json::from_str(&job.payload)?;
                push::run_push_job(&self.state, j).await
            }
            search::JOB_INDEX => {
                let j = serde_json::from_str(&job.payload)?;
                search::run_index_job(&self.state, j).await
            }
            search::JOB_REINDEX => {
                let j = serde_json::from_str(&job.payload)?;
                search::run_reindex_job(&self.state, j).await
            }
            // A job from a newer version of the server, or a bug: keep it
            // (dead-lettered after retries) rather than drop it.
            other => Err(JobError::UnknownKind(other.to_owned())),
        }
    }
}
