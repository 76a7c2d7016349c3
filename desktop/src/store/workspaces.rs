//! The reducer's workspace part: workspaces stay sorted by name, and a
//! workspace that goes takes its channels and members with it.

use std::rc::Rc;

use parley_shared::api::Workspace;
use parley_shared::WorkspaceId;

use super::State;

impl State {
    pub(super) fn upsert_workspace(&mut self, w: Workspace) {
        match self.workspaces.iter_mut().find(|x| x.id == w.id) {
            Some(x) => *x = w,
            None => self.workspaces.push(w),
        }
        self.workspaces.sort_by_key(|w| w.name.to_lowercase());
    }

    pub(super) fn remove_workspace(&mut self, id: WorkspaceId) {
        self.workspaces.retain(|w| w.id != id);
        Rc::make_mut(&mut self.channels).retain(|_, c| c.workspace_id != Some(id));
        self.members.remove(&id);
        if self.workspace == Some(id) {
            self.workspace = self.workspaces.first().map(|w| w.id);
        }
    }
}
