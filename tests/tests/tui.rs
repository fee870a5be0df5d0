//! End to end through the terminal UI: `tongchou tui` runs in a detached
//! tmux session against a real node; keys go in with `send-keys`, the
//! screen is read with `capture-pane`. A room is found with the free-slot
//! finder, booked with one key, and the booking checked on the owner's node.

use std::process::Command;
use std::time::Duration;

use crdt_model::booking::Status;
use crdt_model::resource::Resource;
use harness::{network, tongchou, wait_for};

/// A private tmux server, killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(cmd: &str) -> Self {
        let socket = format!("tongchou-e2e-{}", std::process::id());
        let t = Self { socket };
        let status = Command::new("tmux")
            .args([
                "-L",
                &t.socket,
                "new-session",
                "-d",
                "-s",
                "tui",
                "-x",
                "120",
                "-y",
                "40",
                cmd,
            ])
            .status()
            .expect("tmux must be installed (.ci/run installs it)");
        assert!(status.success(), "tmux new-session failed");
        t
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "tui"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "tui"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_text(&self, text: &str) -> String {
        let mut last = String::new();
        let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_for(
                &format!("{text:?} on the TUI screen"),
                Duration::from_secs(30),
                || {
                    last = self.screen();
                    last.contains(text).then(|| last.clone())
                },
            )
        }));
        match found {
            Ok(s) => s,
            Err(_) => panic!("{text:?} never appeared; last screen:\n{last}"),
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn book_a_room_from_the_free_slot_finder() {
    let nodes = network("tui-e2e", 2);
    let (owner, staff) = (&nodes[0], &nodes[1]);
    let room: Resource = owner.json(&[
        "resource",
        "add",
        "--id",
        "room-e2e",
        "--name",
        "视频会议室",
        "--name-en",
        "Video Room",
        "--city",
        "杭州",
        "--city-en",
        "Hangzhou",
        "--people",
        "16",
        "--feature",
        "video",
    ]);
    let rid = room.id.to_string();
    staff.wait_resource(&rid);

    let cmd = format!(
        "env TZ=Asia/Shanghai {} --home {} --lang en tui",
        tongchou().display(),
        staff.home.display()
    );
    let tmux = Tmux::start(&cmd);
    tmux.wait_text("3:Find slot");
    // Free-slot finder: 12 people, Hangzhou, video, 2 hours, tomorrow 09–18.
    tmux.keys(&["3"]);
    tmux.wait_text("People / units");
    tmux.keys(&[
        "C-u", "12", "Tab", "Hangzhou", "Tab", "Tab", "video", "Tab", "C-u", "120", "Enter",
    ]);
    tmux.wait_text("Video Room");
    // Enter opens the booking form filled with the best candidate, the
    // cursor on the purpose (required); Enter sends it and the owner's
    // policy confirms it.
    tmux.keys(&["Enter"]);
    tmux.wait_text("Purpose");
    tmux.keys(&["Cross-city meeting", "Enter"]);
    let screen = tmux.wait_text("confirmed");
    assert!(screen.contains("Video Room"), "{screen}");

    let booking = wait_for(
        "the booking on the owner's node",
        Duration::from_secs(30),
        || {
            owner
                .bookings(&["--resource", &rid])
                .into_iter()
                .find(|b| b.status == Status::Confirmed)
        },
    );
    assert_eq!(booking.terms.quantity, 12);
    let (start, end) = (booking.terms.start, booking.terms.end);
    assert_eq!(end.duration_since(start).as_secs(), 7200, "a two-hour slot");
    assert!(start > jiff::Timestamp::now(), "in the future");

    // Quit restores the terminal and ends the process.
    tmux.keys(&["q"]);
    wait_for("the TUI to exit", Duration::from_secs(10), || {
        let out = Command::new("tmux")
            .args(["-L", &tmux.socket, "has-session", "-t", "tui"])
            .output()
            .ok()?;
        (!out.status.success()).then_some(())
    });
}
