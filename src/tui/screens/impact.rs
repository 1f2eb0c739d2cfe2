//! Screen: impact. (Being written: the interface the app calls.)

use ratatui::Frame;
use ratatui::layout::Rect;

use super::{Ctx, Effect, Pick, Prompt};
use crate::tui::action::Action;
use crate::tui::draw::View;
use crate::tui::jobs::JobOutput;

#[derive(Default)]
pub struct ImpactScreen {
    job: Option<u64>,
}

impl ImpactScreen {
    pub fn reload(&mut self, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }

    pub fn handle(&mut self, _action: Action, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }

    pub fn job_started(&mut self, id: u64) {
        self.job = Some(id);
    }

    pub fn on_job(
        &mut self,
        _id: u64,
        _result: Result<JobOutput, String>,
        _ctx: &Ctx,
    ) -> Vec<Effect> {
        Vec::new()
    }

    pub fn on_pick(&mut self, _pick: Pick, _index: usize, _item: &str, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }

    pub fn on_prompt(&mut self, _prompt: Prompt, _text: &str, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }

    /// Replays what `filter` selects under `against` (their own versions
    /// when `None`): asked by the Diff screen's `i`.
    pub fn run_for(
        &mut self,
        _filter: crate::store::decisions::DecisionFilter,
        _against: Option<crate::store::VersionRef>,
        _label: String,
    ) -> Vec<Effect> {
        Vec::new()
    }

    pub fn draw(&self, _f: &mut Frame, _area: Rect, _view: &View) {}
}
