//! The interactive workbench: `gavel` with no subcommand. A thin shell over
//! the core: keys become actions, actions change state, long work runs on
//! worker threads, and the screen is drawn from state only.

pub mod action;
pub mod app;
pub mod config;
pub mod draw;
pub mod folders;
pub mod jobs;
pub mod screens;
pub mod terminal;
pub mod theme;
pub mod widgets;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use crossterm::event;

use action::KeyMap;
use app::App;
use config::Config;
use theme::Theme;

/// How the workbench was asked to start.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub db: PathBuf,
    /// `--theme`: wins over the config file.
    pub theme: Option<String>,
    /// `--no-mouse`: wins over the config file.
    pub no_mouse: bool,
    /// `--config`: else `GAVEL_CONFIG`, else the platform config dir.
    pub config: Option<PathBuf>,
    /// `--allowed-signers`: the trusted signers file.
    pub allowed_signers: Option<PathBuf>,
    /// `gavel DIR`: a bundle directory opened as a working copy.
    pub working_copy: Option<PathBuf>,
}

/// Builds the app from the options and the config file (no terminal).
pub fn build_app(opts: &Options) -> anyhow::Result<App> {
    let config_path = opts.config.clone().or_else(Config::default_path);
    let config = Config::load(config_path.as_deref()).map_err(anyhow::Error::msg)?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme_name = opts
        .theme
        .clone()
        .or(config.theme.clone())
        .unwrap_or_else(|| "dark".into());
    let theme = Theme::load(&theme_name, no_color).map_err(anyhow::Error::msg)?;
    let (keys, problems) =
        KeyMap::default().with_overrides(config.keys.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if let Some(p) = problems.first() {
        let file = config_path
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        anyhow::bail!("{file}: {p}");
    }
    let mouse = !opts.no_mouse && config.mouse.unwrap_or(true);
    // The clock is read here, at the edge: GAVEL_NOW pins it (tests, demos).
    let pinned_now = std::env::var("GAVEL_NOW")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|_| crate::certify::now_from_env())
        .transpose()?;
    let mut app = App::new(opts.db.clone(), keys, theme, mouse)
        .with_context(|| format!("opening the store {}", opts.db.display()))?;
    let mut settings = config.certification.clone();
    settings.load_trust(opts.allowed_signers.as_deref(), config_path.as_deref())?;
    app.decisions.settings = settings.clone();
    app.certify.settings = settings;
    if let Some(at) = pinned_now {
        app.pin_clock(at);
    }
    match &opts.working_copy {
        // Opening it reloads what shows it.
        Some(dir) => app.open_working_copy(crate::working_copy::WorkingCopy::open(dir)?),
        None => app.reload()?,
    }
    Ok(app)
}

/// Runs the workbench until the user quits. The terminal is restored on
/// every way out, panic included.
pub fn run(opts: &Options) -> anyhow::Result<()> {
    let mut app = build_app(opts)?;
    let mut guard = terminal::TerminalGuard::enter(app.mouse)?;
    let result = event_loop(&mut guard.terminal, &mut app);
    drop(guard);
    result
}

fn event_loop(terminal: &mut terminal::Term, app: &mut App) -> anyhow::Result<()> {
    loop {
        app.poll_jobs();
        if app.dirty {
            terminal.draw(|f| {
                draw::draw(f, app);
                terminal::sweep(f.buffer_mut());
            })?;
            app.dirty = false;
        }
        if app.quit {
            return Ok(());
        }
        // Short waits while work runs, so progress shows; long ones at rest.
        let wait = if app.jobs.running.is_empty() {
            Duration::from_millis(250)
        } else {
            Duration::from_millis(50)
        };
        if event::poll(wait)? {
            // Take every queued event before drawing: only the last frame matters.
            loop {
                app.on_event(event::read()?);
                if app.quit || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
    }
}
