//! The root store: the Plan signal, the history of committed actions (undo/redo), what core derives
//! from the plan on every edit, UI state (drags, notices), autosave and share links.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;
use tokenfleet_core::edit::EditError;
use tokenfleet_core::lint::{self, Finding};
use tokenfleet_core::manifest::{self, Document};
use tokenfleet_core::place::{self, Outcome};
use tokenfleet_core::plan::{self, Plan, StageKind};
use tokenfleet_core::sim::DayCheck;
use tokenfleet_core::{examples, share};

/// The localStorage key of the autosaved plan.
pub const AUTOSAVE_KEY: &str = "tokenfleet.autosave";
/// The localStorage key of the plan pinned as A for comparison (same format as the autosave).
pub const COMPARE_KEY: &str = "tokenfleet.compare";
const HISTORY_LIMIT: usize = 200;

/// Everything core derives from a plan, recomputed once per edit.
#[derive(Clone)]
pub struct Derived {
    pub outcome: Outcome,
    pub findings: Vec<Finding>,
    pub documents: Vec<Document>,
    /// The whole multi-document export.
    pub export: String,
    /// How long re-plan + lint + export took, in milliseconds (performance.now).
    pub recompute_ms: f64,
}

impl PartialEq for Derived {
    fn eq(&self, _: &Self) -> bool {
        // Every recomputation is news: the memo only reruns when the plan changed.
        false
    }
}

/// One edit of the plan, as [`Store::commit`] applies it.
type PlanEdit<'a> = Box<dyn FnOnce(&mut Plan) -> Result<(), EditError> + 'a>;

/// An interaction in progress: snapshot on press, preview on move, one action on release.
#[derive(Clone, Debug, PartialEq)]
pub enum Drag {
    /// A NodePool card being reordered: its name, where it was, where it would land, and the
    /// vertical midpoints of the cards when the drag began.
    Pool { name: String, from: usize, target: usize, mids: Vec<f64> },
    /// An instance family picked up from a pool, and the pool under the pointer.
    Family { family: String, from: String, over: Option<String>, pointer: bool },
    /// A deployment picked up, and the pool under the pointer.
    Deployment { name: String, over: Option<String>, pointer: bool },
    /// One stage of a disaggregated deployment picked up, and the pool under the pointer.
    Stage { deployment: String, stage: StageKind, over: Option<String>, pointer: bool },
}

impl Drag {
    /// The pool under the pointer, for what is dropped on pools with the pointer (not pool cards).
    pub fn pointer_target(&mut self) -> Option<&mut Option<String>> {
        match self {
            Drag::Family { over, pointer: true, .. }
            | Drag::Deployment { over, pointer: true, .. }
            | Drag::Stage { over, pointer: true, .. } => Some(over),
            _ => None,
        }
    }

    /// Whether this was picked up with the keyboard (it is dropped with a pool card's button).
    pub fn by_keyboard(&self) -> bool {
        matches!(
            self,
            Drag::Family { pointer: false, .. }
                | Drag::Deployment { pointer: false, .. }
                | Drag::Stage { pointer: false, .. }
        )
    }

    /// What dropping this on `pool` would do, in the words of the action (None: nothing to do there).
    pub fn drop_label(&self, pool: &str) -> Option<String> {
        match self {
            Drag::Family { family, from, .. } if from != pool => Some(format!("Move family {family} to {pool}")),
            Drag::Deployment { name, .. } => Some(format!("Pin {name} to {pool}")),
            Drag::Stage { deployment, stage, .. } => Some(format!("Pin {deployment} {} to {pool}", stage.as_str())),
            _ => None,
        }
    }

    /// Drops this on `pool` as one undoable action (the label is [`Drag::drop_label`]'s).
    pub fn drop_on(&self, store: &Store, pool: &str) -> Result<(), String> {
        let Some(label) = self.drop_label(pool) else { return Ok(()) };
        store.commit(&label, |p| match self {
            Drag::Family { family, from, .. } => p.move_instance_family(family, from, pool),
            Drag::Deployment { name, .. } => p.assign_deployment(name, pool),
            Drag::Stage { deployment, stage, .. } => p.assign_stage(deployment, *stage, Some(pool)),
            Drag::Pool { .. } => Ok(()),
        })
    }
}

/// A message for the whole page (a bad share link, a corrupt autosave, the result of an import).
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub error: bool,
    pub text: String,
}

#[derive(Clone, Copy)]
pub struct Store {
    pub plan: RwSignal<Plan>,
    /// The NodePools' names in priority order (the board's order).
    pub pool_order: Memo<Vec<String>>,
    past: RwSignal<Vec<(String, Plan)>>,
    future: RwSignal<Vec<(String, Plan)>>,
    pub derived: Memo<Derived>,
    pub drag: RwSignal<Option<Drag>>,
    pub notice: RwSignal<Option<Notice>>,
    /// The plan pinned as A, compared with the current one (B).
    pub compare: RwSignal<Option<Plan>>,
    /// The current plan's simulated day, once judged (`sim::judge_plan`), or why it could not be.
    pub day: RwSignal<Option<Result<DayCheck, String>>>,
}

/// An effect with its closure boxed: Leptos compiles an effect's task once per closure type, so
/// boxed, the app's effects share one task instead of one each.
pub fn effect(f: impl FnMut(Option<()>) + 'static) {
    Effect::new(Box::new(f) as Box<dyn FnMut(Option<()>)>);
}

/// Work on the plan a moment after the last edit, in a task of its own: each edit cancels the work
/// still waiting, so a burst of edits runs it once, and no edit waits for it.
pub fn after_edits(store: Store, delay: std::time::Duration, work: impl Fn(Plan) + Clone + 'static) {
    let pending = Rc::new(Cell::new(None::<TimeoutHandle>));
    effect(move |_| {
        let plan = store.plan.get();
        if let Some(h) = pending.take() {
            h.clear();
        }
        let slot = pending.clone();
        let work = work.clone();
        let handle = set_timeout_with_handle(
            move || {
                slot.set(None);
                work(plan);
            },
            delay,
        )
        .ok();
        pending.set(handle);
    });
}

pub fn now_ms() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or_default()
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// The built-in example plan, parsed.
pub fn example_plan(name: &str) -> Option<Plan> {
    examples::example(name).and_then(|text| plan::parse_plan(text).ok())
}

/// Clears the share link from the address bar: it has done its job, and a reload should restore the
/// autosave, not the link.
fn clear_fragment() {
    if let Ok(history) = window().history() {
        let location = window().location();
        let url = location.pathname().unwrap_or_default() + &location.search().unwrap_or_default();
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// The plan to start with: a share link in the URL fragment, else the autosave, else the default
/// example; and a notice when one of them could not be read.
fn initial_plan() -> (Plan, Option<Notice>) {
    let fallback = || example_plan(examples::DEFAULT_EXAMPLE).unwrap_or_else(|| Plan::minimal("plan"));
    let autosaved = storage().and_then(|s| s.get_item(AUTOSAVE_KEY).ok().flatten());
    let from_autosave = |notice: Option<Notice>| match &autosaved {
        None => (fallback(), notice),
        Some(text) => match share::decode_autosave(text) {
            Ok(plan) => (plan, notice),
            Err(e) => (
                fallback(),
                notice.or(Some(Notice {
                    error: true,
                    text: format!("The autosaved plan could not be restored ({e}); the example plan is shown instead."),
                })),
            ),
        },
    };
    let hash = window().location().hash().unwrap_or_default();
    if share::has_share_fragment(&hash) {
        clear_fragment();
        return match share::decode_share(&hash) {
            Ok(plan) => (plan, Some(Notice { error: false, text: "Opened the plan from the share link.".into() })),
            Err(e) => from_autosave(Some(Notice {
                error: true,
                text: format!("The share link could not be opened: {e}. Your last plan is shown instead."),
            })),
        };
    }
    from_autosave(None)
}

/// The plan pinned as A to start with: the share link's (`&compare=…`), else the one kept in
/// storage; and a notice when it could not be read.
fn initial_compare(hash: &str) -> (Option<Plan>, Option<Notice>) {
    let failed = |what: &str, e: share::ShareError| {
        Some(Notice {
            error: true,
            text: format!("The plan {what} compares with could not be read ({e}); nothing is pinned as A."),
        })
    };
    if share::has_share_fragment(hash) {
        match share::decode_compare(hash) {
            Some(Ok(plan)) => return (Some(plan), None),
            Some(Err(e)) => return (None, failed("the share link", e)),
            None => {}
        }
    }
    match storage().and_then(|s| s.get_item(COMPARE_KEY).ok().flatten()) {
        None => (None, None),
        Some(text) => match share::decode_autosave(&text) {
            Ok(plan) => (Some(plan), None),
            Err(e) => (None, failed("this page", e)),
        },
    }
}

impl Store {
    pub fn new() -> Store {
        let hash = window().location().hash().unwrap_or_default();
        let (initial, notice) = initial_plan();
        let (compare, compare_notice) = initial_compare(&hash);
        let store = Store::embedded(initial);
        store.compare.set(compare);
        // A compared plan that could not be read says so over "opened the plan".
        store.notice.set(match (notice, compare_notice) {
            (notice, Some(c)) if c.error || notice.is_none() => Some(c),
            (notice, _) => notice,
        });
        // The pinned plan is kept in storage until it is cleared.
        effect(move |_| {
            let text = store.compare.with(|c| c.as_ref().map(share::encode_autosave));
            if let Some(s) = storage() {
                let _ = match text {
                    Some(text) => s.set_item(COMPARE_KEY, &text),
                    None => s.remove_item(COMPARE_KEY),
                };
            }
        });
        // Autosave: the last good plan is always in storage, even if the app later fails. It is written
        // once the edit has been painted (one write for edits made together), so encoding
        // and storing it is not part of the edit the person waits for; leaving the page writes a
        // pending save at once.
        let plan = store.plan;
        let pending = Rc::new(Cell::new(false));
        let save = {
            let pending = pending.clone();
            move || {
                if pending.replace(false) {
                    let text = plan.with_untracked(share::encode_autosave);
                    if let Some(s) = storage() {
                        let _ = s.set_item(AUTOSAVE_KEY, &text);
                    }
                }
            }
        };
        let later = save.clone();
        effect(move |_| {
            plan.track();
            if !pending.replace(true) {
                crate::dom::after_paint(later.clone());
            }
        });
        // The listener lives as long as the page.
        std::mem::forget(window_event_listener(leptos::ev::pagehide, move |_| save()));
        store
    }

    /// A store that starts from `initial` and touches nothing outside the page's reactive graph: no
    /// address bar, no autosave. The widget (widget.rs) uses it, one per mounted planner.
    pub fn embedded(initial: Plan) -> Store {
        let plan = RwSignal::new(initial);
        // The pool order is the plan's first subscriber (computed now), so after an edit the board
        // moves its cards before any other part of the page changes: a card holding keyboard focus
        // is then moved in a page the browser need not lay out again first.
        let pool_order = Memo::new(move |_| plan.with(Plan::pool_names_by_priority));
        pool_order.with_untracked(|_| ());
        let derived = Memo::new(move |_| {
            plan.with(|p| {
                let start = now_ms();
                let outcome = place::evaluate(p);
                let findings = lint::lint_plan_with(p, &outcome);
                let documents = manifest::render(p);
                let export = manifest::join_stream(&documents);
                Derived { outcome, findings, documents, export, recompute_ms: now_ms() - start }
            })
        });
        Store {
            plan,
            pool_order,
            past: RwSignal::new(Vec::new()),
            future: RwSignal::new(Vec::new()),
            derived,
            drag: RwSignal::new(None),
            notice: RwSignal::new(None),
            compare: RwSignal::new(None),
            day: RwSignal::new(None),
        }
    }

    /// Applies one edit as one undoable action. The plan changes only when the edit succeeds and
    /// the result is a valid plan; otherwise the reason comes back and the last good plan stays.
    pub fn commit(&self, label: &str, edit: impl FnOnce(&mut Plan) -> Result<(), EditError>) -> Result<(), String> {
        self.commit_boxed(label, Box::new(edit))
    }

    /// The body of [`Store::commit`], compiled once rather than at each of its call sites.
    fn commit_boxed(&self, label: &str, edit: PlanEdit<'_>) -> Result<(), String> {
        let mut next = self.plan.get_untracked();
        edit(&mut next).map_err(|e| e.to_string())?;
        if let Some(e) = plan::validate(&next).into_iter().next() {
            return Err(e.message);
        }
        self.replace(label, next);
        Ok(())
    }

    /// Replaces the plan as one undoable action (imports, templates).
    pub fn replace(&self, label: &str, next: Plan) {
        let previous = self.plan.get_untracked();
        if previous == next {
            return;
        }
        // The plan first: what follows it (the board) updates before the history's buttons do.
        self.plan.set(next);
        self.past.update(|past| {
            past.push((label.to_string(), previous));
            if past.len() > HISTORY_LIMIT {
                past.remove(0);
            }
        });
        self.future.update(Vec::clear);
    }

    pub fn can_undo(&self) -> bool {
        self.past.with(|p| !p.is_empty())
    }

    pub fn can_redo(&self) -> bool {
        self.future.with(|f| !f.is_empty())
    }

    /// The label of the action undo would revert.
    pub fn undo_label(&self) -> Option<String> {
        self.past.with(|p| p.last().map(|(l, _)| l.clone()))
    }

    pub fn redo_label(&self) -> Option<String> {
        self.future.with(|f| f.last().map(|(l, _)| l.clone()))
    }

    pub fn undo(&self) {
        if let Some((label, previous)) = self.past.try_update(Vec::pop).flatten() {
            let current = self.plan.get_untracked();
            self.future.update(|f| f.push((label, current)));
            self.plan.set(previous);
        }
    }

    pub fn redo(&self) {
        if let Some((label, next)) = self.future.try_update(Vec::pop).flatten() {
            let current = self.plan.get_untracked();
            self.past.update(|p| p.push((label, current)));
            self.plan.set(next);
        }
    }

    /// The share link of the current plan (this page's address with the plan in the fragment).
    pub fn share_url(&self) -> String {
        let location = window().location();
        let base = location.href().unwrap_or_default();
        let base = base.split('#').next().unwrap_or_default().to_string();
        let fragment = self.compare.with(|a| self.plan.with(|b| share::share_fragment_with_compare(b, a.as_ref())));
        base + &fragment
    }

    /// Opens a share link pasted into this tab's address bar (a fragment change, not a page load) as
    /// one undoable action.
    pub fn open_fragment(&self) {
        let hash = window().location().hash().unwrap_or_default();
        if !share::has_share_fragment(&hash) {
            return;
        }
        clear_fragment();
        match share::decode_share(&hash) {
            Ok(plan) => {
                self.replace("Open share link", plan);
                match share::decode_compare(&hash) {
                    Some(Ok(a)) => {
                        self.compare.set(Some(a));
                        self.notify(false, "Opened the plan and the plan it compares with from the share link.");
                    }
                    Some(Err(e)) => self.notify(
                        true,
                        format!(
                            "Opened the plan from the share link; the plan it compares with could not be read: {e}."
                        ),
                    ),
                    None => self.notify(false, "Opened the plan from the share link."),
                }
            }
            Err(e) => self.notify(true, format!("The share link could not be opened: {e}. Your last plan is kept.")),
        }
    }

    pub fn notify(&self, error: bool, text: impl Into<String>) {
        self.notice.set(Some(Notice { error, text: text.into() }));
    }
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

/// The id of the element that edits a plan field (`spec.nodePools[0].weight`), for lint focus.
pub fn field_id(path: &str) -> String {
    format!("f-{path}")
}

/// Focuses the element editing `path`, or the closest enclosing one that exists.
pub fn focus_field(path: &str) -> bool {
    let document = document();
    let mut path = path.to_string();
    loop {
        if let Some(element) = document.get_element_by_id(&field_id(&path)) {
            use wasm_bindgen::JsCast;
            // Open collapsed sections around the field first.
            let mut parent = element.parent_element();
            while let Some(p) = parent {
                if p.tag_name() == "DETAILS" {
                    let _ = p.set_attribute("open", "");
                }
                parent = p.parent_element();
            }
            if let Ok(html) = element.dyn_into::<web_sys::HtmlElement>() {
                html.scroll_into_view();
                let _ = html.focus();
                return true;
            }
        }
        match path.rfind(['.', '[']) {
            Some(i) => path.truncate(i),
            None => return false,
        }
    }
}
