//! The upload tray above the box: each file's name, its progress while it
//! uploads, its size once done or why it failed, and a remove button.

use yew::prelude::*;

use crate::ui::common::icon;
use crate::ui::files::{human_size, UploadAction, Uploads};

/// One row per upload, keyed by the upload's key.
pub(super) fn upload_rows(uploads: &UseReducerHandle<Uploads>) -> Vec<Html> {
    uploads
        .0
        .iter()
        .map(|u| {
            let remove = {
                let (d, k) = (uploads.dispatcher(), u.key);
                Callback::from(move |_: MouseEvent| d.dispatch(UploadAction::Remove(k)))
            };
            let pct = (u.progress * 100.0).round() as u32;
            html! {
                <div class={classes!("upload", u.error.is_some().then_some("failed"), u.done.is_some().then_some("done"))} key={u.key.to_string()}>
                    <span class="file-icon">{ icon("paperclip") }</span>
                    <span class="file-text">
                        <span class="file-name">{ u.name.clone() }</span>
                        if let Some(e) = &u.error {
                            <span class="field-error">{ e.clone() }</span>
                        } else if u.done.is_some() {
                            <span class="muted small">{ human_size(u.size) }</span>
                        } else {
                            <span class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow={pct.to_string()} aria-label={format!("Uploading {}", u.name)}>
                                <span class="bar" style={format!("width:{pct}%")}></span>
                            </span>
                        }
                    </span>
                    <button class="icon-btn" aria-label={format!("Remove {}", u.name)} onclick={remove}>{ icon("x") }</button>
                </div>
            }
        })
        .collect()
}
