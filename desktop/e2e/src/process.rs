//! Child processes a test starts (drivers, monitors, stand-ins for other
//! apps), ended when the test ends.
//!
//! What must stay true: however the test ends — passing, failing, panicking
//! in any step — no process it started outlives it.

use std::process::{Child, Command};

/// A child process killed when dropped, however the test ends.
pub struct Proc {
    /// The process; tests read its output or wait on it.
    pub child: Child,
    /// Kill its whole process group (which it leads), not only the process.
    group: bool,
}

impl Proc {
    /// Owns `child`: dropping the `Proc` kills it.
    pub fn new(child: Child) -> Proc {
        Proc {
            child,
            group: false,
        }
    }

    /// Starts `cmd` in a process group of its own, killed as a group: what
    /// it starts (chromedriver's browsers) goes with it, so a failed test
    /// with no session closed leaves no browser behind.
    pub fn group(cmd: &mut Command) -> std::io::Result<Proc> {
        use std::os::unix::process::CommandExt;
        let child = cmd.process_group(0).spawn()?;
        Ok(Proc { child, group: true })
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.group {
            let group = format!("-{}", self.child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        } else {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
