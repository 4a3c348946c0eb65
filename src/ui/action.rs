//! What a key can mean: the closed set of cockpit actions, their names, help texts and which
//! modes they exist in.
//!
//! Owns the rules "mutating actions exist only in operator and demo mode" and "wall mode has no
//! navigation"; it must not know about keys (that is `keymap`) or change state (that is `update`).

use super::state::Mode;

/// Everything a key can ask the cockpit to do.
///
/// Mutating actions (those that change Azure or the emulator) are marked by
/// [`Action::is_mutating`]; drill is one of them, like failover and switchover.
/// History is a read: it exists in read-only too, but not on a wall (no keys beyond the general
/// ones a wall needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Select the previous role (or scroll the focused pane up).
    Up,
    /// Select the next role (or scroll the focused pane down).
    Down,
    /// Select the first role.
    First,
    /// Select the last role.
    Last,
    /// Move focus to the next pane.
    NextPane,
    /// Move focus to the previous pane.
    PrevPane,
    /// Ask the engine for an inventory refresh now (a read; allowed in every mode).
    Refresh,
    /// Show or hide the help overlay.
    Help,
    /// Close the topmost overlay or dismiss the alarm banner.
    Close,
    /// Leave the cockpit.
    Quit,
    /// Demo only: kill the selected role's master service in the emulator.
    ChaosKill,
    /// Demo only: hang the selected role's master VM in the emulator.
    ChaosHang,
    /// Demo only: heal every VM of the selected role in the emulator.
    ChaosHeal,
    /// Plan a failover of the selected role (preview, then typed confirmation).
    Failover,
    /// Plan a switchover of the selected role (preview, then typed confirmation).
    Switchover,
    /// Abort the selected role's running operation (confirmed), or reopen its pending choice.
    Abort,
    /// Plan a drill of the selected role: switchover to a standby, hold, switch back.
    Drill,
    /// Open (or close) the run history of the selected role: past runs, RTO trend. A read.
    History,
    /// Write the selected role's current or last operation as a Markdown timeline (a local
    /// file for the postmortem; nothing in Azure changes).
    ExportTimeline,
    /// Break the selected role's lock held by another baton (a dead holder's), after showing
    /// it and a typed confirmation: the cockpit's `baton unlock`.
    Unlock,
}

/// Where an action belongs in the help overlay and footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Moving around.
    Navigate,
    /// Reads and window management.
    General,
    /// Demo-mode chaos (mutates the emulator).
    Demo,
    /// Failover, switchover and abort (change Azure; operator and demo only).
    Operate,
}

impl Action {
    /// Every action, in help/footer order.
    pub const ALL: [Action; 20] = [
        Action::Up,
        Action::Down,
        Action::First,
        Action::Last,
        Action::NextPane,
        Action::PrevPane,
        Action::Refresh,
        Action::Help,
        Action::Close,
        Action::Quit,
        Action::ChaosKill,
        Action::ChaosHang,
        Action::ChaosHeal,
        Action::Failover,
        Action::Switchover,
        Action::Abort,
        Action::Drill,
        Action::History,
        Action::ExportTimeline,
        Action::Unlock,
    ];

    /// The name used in config overrides (`[keys]` table) and error messages.
    pub fn name(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::First => "first",
            Action::Last => "last",
            Action::NextPane => "next_pane",
            Action::PrevPane => "prev_pane",
            Action::Refresh => "refresh",
            Action::Help => "help",
            Action::Close => "close",
            Action::Quit => "quit",
            Action::ChaosKill => "chaos_kill",
            Action::ChaosHang => "chaos_hang",
            Action::ChaosHeal => "chaos_heal",
            Action::Failover => "failover",
            Action::Switchover => "switchover",
            Action::Abort => "abort",
            Action::Drill => "drill",
            Action::History => "history",
            Action::ExportTimeline => "export_timeline",
            Action::Unlock => "unlock",
        }
    }

    /// The action with this config name.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// One-line description for the help overlay.
    pub fn description(self) -> &'static str {
        match self {
            Action::Up => "select previous role / scroll pane up",
            Action::Down => "select next role / scroll pane down",
            Action::First => "select first role",
            Action::Last => "select last role",
            Action::NextPane => "focus next pane",
            Action::PrevPane => "focus previous pane",
            Action::Refresh => "refresh inventory now",
            Action::Help => "show / hide this help",
            Action::Close => "close overlay / dismiss alarm banner",
            Action::Quit => "quit",
            Action::ChaosKill => "kill the master's service (emulator)",
            Action::ChaosHang => "hang the master VM (emulator)",
            Action::ChaosHeal => "heal every VM of the role (emulator)",
            Action::Failover => "failover: plan preview + typed confirmation",
            Action::Switchover => "switchover: plan preview + typed confirmation",
            Action::Abort => "abort running operation / choose how to go on",
            Action::Drill => "drill: switchover, hold, switch back + report",
            Action::History => "run history of the selected role (RTO trend)",
            Action::ExportTimeline => "write the last operation's timeline (Markdown)",
            Action::Unlock => "break a dead holder's lock (typed role name)",
        }
    }

    /// Short word for the footer.
    pub fn short(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::First => "first",
            Action::Last => "last",
            Action::NextPane => "pane",
            Action::PrevPane => "prev pane",
            Action::Refresh => "refresh",
            Action::Help => "help",
            Action::Close => "close",
            Action::Quit => "quit",
            Action::ChaosKill => "kill svc",
            Action::ChaosHang => "hang vm",
            Action::ChaosHeal => "heal",
            Action::Failover => "failover",
            Action::Switchover => "switch",
            Action::Abort => "abort",
            Action::Drill => "drill",
            Action::History => "history",
            Action::ExportTimeline => "timeline",
            Action::Unlock => "unlock",
        }
    }

    /// Footer priority: lower survives longer when the footer is too narrow.
    pub fn footer_rank(self) -> Option<u8> {
        match self {
            Action::Quit | Action::Help => Some(0),
            Action::ChaosKill | Action::ChaosHang | Action::ChaosHeal => Some(1),
            Action::Up | Action::Down => Some(2),
            Action::NextPane | Action::Refresh => Some(3),
            Action::First | Action::Last => Some(4),
            Action::Failover | Action::Switchover => Some(1),
            Action::Drill => Some(4),
            Action::PrevPane
            | Action::Close
            | Action::Abort
            | Action::History
            | Action::ExportTimeline
            | Action::Unlock => None,
        }
    }

    /// Where the action is listed.
    pub fn section(self) -> Section {
        match self {
            Action::Up
            | Action::Down
            | Action::First
            | Action::Last
            | Action::NextPane
            | Action::PrevPane => Section::Navigate,
            Action::Refresh
            | Action::Help
            | Action::Close
            | Action::Quit
            | Action::History
            | Action::ExportTimeline => Section::General,
            Action::ChaosKill | Action::ChaosHang | Action::ChaosHeal => Section::Demo,
            Action::Failover
            | Action::Switchover
            | Action::Abort
            | Action::Drill
            | Action::Unlock => Section::Operate,
        }
    }

    /// True when the action changes something outside the cockpit (Azure, the emulator).
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            Action::ChaosKill
                | Action::ChaosHang
                | Action::ChaosHeal
                | Action::Failover
                | Action::Switchover
                | Action::Abort
                | Action::Drill
                | Action::Unlock
        )
    }

    /// True for moving the selection or focus.
    pub fn is_navigation(self) -> bool {
        self.section() == Section::Navigate
    }

    /// Whether the action exists at all in `mode`. Read-only and wall have no mutating action;
    /// wall has no selection, so no navigation and no history either; chaos exists only in demo.
    pub fn exists_in(self, mode: Mode) -> bool {
        if self.is_mutating() && !mode.allows_mutation() {
            return false;
        }
        let reads_state_dir = matches!(self, Action::History | Action::ExportTimeline);
        if (self.is_navigation() || reads_state_dir) && mode == Mode::Wall {
            return false;
        }
        match self.section() {
            Section::Demo => mode == Mode::Demo,
            _ => true,
        }
    }
}
