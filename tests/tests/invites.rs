//! Invitations with real node processes on 127.0.0.1: a joined agency's
//! `config.toml` holds only what an operator edits (its admission is in
//! `admission.json` beside it); `invite --out` writes an owner-only file;
//! `invites` lists this agency's invitations and where each stands; an
//! invitation withdrawn with `invite revoke` is refused at join by another
//! member, with the inviting admin offline, while a fresh one still
//! admits.

use std::time::Duration;

use api::{InviteEntry, InviteState};
use harness::{cli, network, wait_for};

#[test]
fn a_withdrawn_invitation_is_refused_by_every_member_and_listed_as_withdrawn() {
    let mut nodes = network("invites", 2);
    let dir = nodes[0]
        .home
        .parent()
        .expect("the network's directory")
        .to_path_buf();

    // The member that joined with a token: its config is short and has no
    // roster bytes; the admission is beside it, bytes as base64.
    let config = std::fs::read_to_string(nodes[1].home.join("config.toml")).expect("config");
    assert!(
        config.lines().count() < 20 && !config.contains("admission"),
        "{config}"
    );
    let admission =
        std::fs::read_to_string(nodes[1].home.join("admission.json")).expect("admission.json");
    assert!(
        admission.contains("\"body\": \"") && !admission.contains("[\n"),
        "{admission}"
    );

    // `invite --out`: an owner-only file, a short token.
    let file = dir.join("宁波.token");
    let said = nodes[0].ok(&[
        "--lang",
        "en",
        "invite",
        "--agency",
        "宁波市机关事务管理局",
        "--out",
        file.to_str().expect("utf-8 path"),
    ]);
    assert!(said.contains("written to"), "{said}");
    let token = std::fs::read_to_string(&file).expect("token file");
    let token = token.trim();
    assert!(token.starts_with("tcinv2.") && token.len() < 600, "{token}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    let list: Vec<InviteEntry> = nodes[0].json(&["invites"]);
    let state = |list: &[InviteEntry], name: &str| {
        list.iter()
            .find(|e| e.name == name)
            .map(|e| e.state.clone())
            .unwrap_or_else(|| panic!("{name} not in {list:?}"))
    };
    assert!(matches!(state(&list, "机关1"), InviteState::Used { .. }));
    assert_eq!(
        state(&list, "宁波市机关事务管理局"),
        InviteState::Outstanding
    );

    // Withdrawn by name; listed as withdrawn.
    let done: InviteEntry = nodes[0].json(&[
        "invite",
        "revoke",
        "宁波市机关事务管理局",
        "--reason",
        "发错单位",
    ]);
    assert!(
        matches!(&done.state, InviteState::Withdrawn { reason, .. } if reason == "发错单位"),
        "{done:?}"
    );
    let list: Vec<InviteEntry> = nodes[0].json(&["invites"]);
    assert!(matches!(
        state(&list, "宁波市机关事务管理局"),
        InviteState::Withdrawn { .. }
    ));
    let table = nodes[0].ok(&["--lang", "en", "invites"]);
    assert!(table.contains("withdrawn (发错单位)"), "{table}");

    // A fresh invitation, then the admin goes offline once the other
    // member has both.
    let fresh = nodes[0].ok(&["invite", "--agency", "温州市机关事务管理局"]);
    wait_for(
        "the other member holds the withdrawal and the fresh invite",
        Duration::from_secs(30),
        || {
            let all: Vec<InviteEntry> = nodes[1].json(&["invites", "--all"]);
            let has = |name: &str, withdrawn: bool| {
                all.iter().any(|e| {
                    e.name == name && matches!(e.state, InviteState::Withdrawn { .. }) == withdrawn
                })
            };
            (has("宁波市机关事务管理局", true) && has("温州市机关事务管理局", false)).then_some(())
        },
    );
    nodes[0].stop();
    let member = nodes[1].addr();

    // The withdrawn token is refused by the member, saying why; nothing is
    // left in the home.
    let refused_home = dir.join("ningbo");
    let out = cli(
        &refused_home,
        &[
            "--lang",
            "en",
            "join",
            token,
            "--agency",
            "宁波市机关事务管理局",
            "--city",
            "宁波",
            "--bootstrap",
            &member,
            "--timeout",
            "30",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "joined with a withdrawn token");
    assert!(err.contains("withdrawn"), "{err}");
    assert!(!refused_home.join("agency.key").exists());

    // The fresh one admits, through the same member.
    let joined_home = dir.join("wenzhou");
    let out = cli(
        &joined_home,
        &[
            "join",
            fresh.trim(),
            "--agency",
            "温州市机关事务管理局",
            "--city",
            "温州",
            "--bootstrap",
            &member,
            "--timeout",
            "30",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Vec<InviteEntry> = nodes[1].json(&["invites", "--all"]);
    assert!(matches!(
        state(&all, "温州市机关事务管理局"),
        InviteState::Used { .. }
    ));
}
