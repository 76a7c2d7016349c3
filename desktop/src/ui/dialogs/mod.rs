//! The dialogs, one per file. Each is a modal over the signed-in layout that
//! `ui::shell` opens and closes; they share the close callback and the way
//! to open a channel, so closing and navigating behave the same everywhere.

mod browse_channels;
mod channel_settings;
mod create_channel;
mod invite;
mod new_dm;
mod profile;
mod quick_switcher;
mod settings;

pub use browse_channels::BrowseChannels;
pub use channel_settings::{ChannelSettings, ChannelSettingsProps};
pub use create_channel::CreateChannel;
pub use invite::InviteDialog;
pub use new_dm::NewDm;
pub use profile::{ProfileDialog, ProfileProps};
pub use quick_switcher::QuickSwitcher;
pub use settings::SettingsDialog;

use parley_shared::ChannelId;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;

#[derive(Properties, PartialEq)]
pub struct CloseProps {
    pub on_close: Callback<()>,
}

fn go_channel(nav: &Option<Navigator>, id: ChannelId) {
    if let Some(nav) = nav {
        nav.push(&Route::Channel { id: id.to_string() });
    }
}
