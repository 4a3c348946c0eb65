//! The cockpit (placeholder doc, replaced below).

pub mod action;
pub mod fixtures;
pub mod keymap;
mod render;
pub mod state;
mod terminal;
pub mod theme;
pub mod update;

pub use action::Action;
pub use keymap::{KeySpec, Keymap, KeymapError};
pub use render::{render, MIN_HEIGHT, MIN_WIDTH};
pub use state::{Freshness, Mode, Pane, UiState};
pub use terminal::{run, UiError, UiOptions};
pub use theme::{Theme, ThemeEnv, ThemeError};
pub use update::{update, ChaosAction, Effect, Msg};
