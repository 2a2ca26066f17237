//! A real pseudo-terminal for the wizard: the binary runs in a detached tmux session on a socket
//! of its own; the test types with `send-keys` and reads the screen with `capture-pane`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Terminals started by this test process (each gets a tmux socket of its own).
static STARTED: AtomicUsize = AtomicUsize::new(0);

/// One terminal running one command; the tmux server is killed on drop.
pub struct Terminal {
    tmux: PathBuf,
    socket: String,
    /// Where the command's exit code is written when it ends.
    exit_file: PathBuf,
}

impl Terminal {
    /// Runs `program args` in `dir`, in a `width`x`height` terminal, with exactly `env` (plus
    /// `PATH` and `TERM`).
    pub fn start(
        dir: &Path,
        program: &Path,
        args: &[&str],
        env: &[(&str, String)],
        size: (u16, u16),
    ) -> Self {
        let tmux = super::apt::ensure(Path::new("/usr/bin/tmux"), "tmux", "the wizard's terminal test")
            .unwrap_or_else(|e| panic!("{e}"));
        let socket = format!(
            "sre-agent-deploy-test-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        );
        let exit_file = dir.join("exit-code");
        let _ = std::fs::remove_file(&exit_file);
        let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let mut line = String::from("env -i PATH=\"$PATH\" TERM=\"$TERM\"");
        for (k, v) in env {
            line.push(' ');
            line.push_str(k);
            line.push('=');
            line.push_str(&quote(v));
        }
        line.push(' ');
        line.push_str(&quote(&program.display().to_string()));
        for a in args {
            line.push(' ');
            line.push_str(&quote(a));
        }
        let script = format!(
            "#!/bin/sh\ncd {}\n{line}\necho $? > {}\nsleep 600\n",
            quote(&dir.display().to_string()),
            quote(&exit_file.display().to_string())
        );
        let script_path = dir.join("run-in-terminal.sh");
        std::fs::write(&script_path, script).expect("write the terminal script");
        let status = Command::new(&tmux)
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d", "-s", "t"])
            .args(["-x", &size.0.to_string(), "-y", &size.1.to_string()])
            .arg(format!("sh {}", script_path.display()))
            .status()
            .expect("run tmux");
        assert!(status.success(), "tmux new-session failed: {status}");
        Self {
            tmux,
            socket,
            exit_file,
        }
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new(&self.tmux)
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux")
    }

    /// Presses keys by tmux name (`Enter`, `BSpace`, `Down`, `q`).
    pub fn press(&self, keys: &[&str]) {
        for key in keys {
            self.tmux(&["send-keys", "-t", "t", key]);
        }
    }

    /// Types `text` literally, then Enter.
    pub fn type_line(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
        self.press(&["Enter"]);
    }

    /// The visible screen.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    /// The visible screen with its SGR escape sequences (colours, bold...).
    pub fn styled_screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-e", "-t", "t"]).stdout).into_owned()
    }

    /// Resizes the terminal, as a user dragging the window would.
    pub fn resize(&self, width: u16, height: u16) {
        let out = self.tmux(&[
            "resize-window",
            "-t",
            "t",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
        assert!(
            out.status.success(),
            "resize-window: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Waits until the screen shows `text`; panics with the screen after `timeout`.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> String {
        let begun = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                begun.elapsed() < timeout,
                "the terminal did not show {text:?} within {timeout:?}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The command's exit code, once it has ended.
    pub fn wait_exit(&self, timeout: Duration) -> i32 {
        let begun = Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(&self.exit_file)
                && let Ok(code) = text.trim().parse()
            {
                return code;
            }
            assert!(
                begun.elapsed() < timeout,
                "the command did not end within {timeout:?}; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// Whether `styled` (from `styled_screen`) sets a foreground or background colour anywhere.
pub fn has_colour(styled: &str) -> bool {
    styled.split("\x1b[").skip(1).any(|sequence| {
        let Some(end) = sequence.find('m') else {
            return false;
        };
        sequence[..end].split(';').any(|p| {
            p.parse::<u16>()
                .is_ok_and(|n| matches!(n, 30..=38 | 40..=48 | 90..=97 | 100..=107))
        })
    })
}
