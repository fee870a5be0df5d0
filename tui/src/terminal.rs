//! The main loop: terminal setup and restore (also on panic, through
//! `ratatui::init`), a thread reading keys, a ticker, and draw-after-update.

use std::time::Duration;

use jiff::Timestamp;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use tokio::sync::mpsc;

use crate::Options;
use crate::action::{Action, Effect};
use crate::app::State;
use crate::client::{self, Api};
use crate::update::update;
use crate::view::view;

/// Runs the TUI until the user quits; the terminal is restored on every path.
pub async fn run(opts: Options) -> anyhow::Result<()> {
    let api = Api::new(opts.connect.clone())?;
    let (tx, rx) = mpsc::unbounded_channel::<Action>();
    let effects = client::spawn(api, tx.clone());
    let input = tx.clone();
    std::thread::spawn(move || {
        loop {
            let action = match event::read() {
                Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => Action::Key(k),
                Ok(Event::Resize(w, h)) => Action::Resize(w, h),
                Ok(_) => continue,
                Err(_) => return,
            };
            if input.send(action).is_err() {
                return;
            }
        }
    });
    let mut state = State::new(opts.lang, opts.tz, Timestamp::now());
    state.screen = opts.start;
    let mut terminal = ratatui::init();
    if let Ok(size) = terminal.size() {
        state.size = (size.width, size.height);
    }
    let result = main_loop(&mut terminal, state, rx, effects).await;
    ratatui::restore();
    result
}

async fn main_loop(
    terminal: &mut DefaultTerminal,
    mut state: State,
    mut rx: mpsc::UnboundedReceiver<Action>,
    effects: mpsc::UnboundedSender<Effect>,
) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    terminal.draw(|f| view(&state, f))?;
    loop {
        let first = tokio::select! {
            a = rx.recv() => match a {
                Some(a) => a,
                None => return Ok(()),
            },
            _ = tick.tick() => Action::Tick(Timestamp::now()),
        };
        let mut pending = vec![first];
        // Apply everything already queued, then draw once.
        while let Ok(a) = rx.try_recv() {
            pending.push(a);
        }
        for a in pending {
            for e in update(&mut state, a) {
                let _ = effects.send(e);
            }
        }
        if state.quit {
            return Ok(());
        }
        terminal.draw(|f| view(&state, f))?;
    }
}
