//! What the widget reports (panel opens, snippet views, searches, feedback): queued, bounded and
//! sent in batches. When the queue is full, new events are dropped rather than piled up, and a
//! batch that fails to send is not retried.

use crate::context::PageContext;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// Most events waiting to be sent; also the largest batch.
pub const QUEUE_MAX: usize = 40;
/// How long events wait to be sent with the ones that follow.
pub const FLUSH_AFTER_MS: i32 = 3_000;

/// The bounded queue itself, free of the browser so it is tested natively.
#[derive(Debug, Default)]
pub struct EventQueue {
    pending: Vec<wire::Event>,
    /// Events dropped because the queue was full.
    pub dropped: u64,
}

impl EventQueue {
    /// Queues `event`; returns false (and counts it) when the queue is full.
    pub fn push(&mut self, event: wire::Event) -> bool {
        if self.pending.len() >= QUEUE_MAX {
            self.dropped += 1;
            return false;
        }
        self.pending.push(event);
        true
    }

    /// Everything queued, as one batch; the queue is empty afterwards.
    pub fn take_batch(&mut self) -> Option<wire::EventBatch> {
        (!self.pending.is_empty()).then(|| wire::EventBatch { events: std::mem::take(&mut self.pending) })
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

/// An event of `kind` where the worker is: route template, focused key, locale, and the path
/// without query string or fragment (which the service checks and does not keep).
pub fn event_at(kind: wire::EventKind, context: &PageContext) -> wire::Event {
    let query = context.to_query("");
    wire::Event {
        kind,
        path: query.path,
        route: query.route,
        key: context.effective_keys().first().cloned(),
        locale: query.locale,
        roles: query.roles,
        app_version: query.app_version,
        via: None,
        snippet: None,
        query: None,
        results: None,
        helpful: None,
        comment: None,
    }
}

/// The queue plus sending, shared by every component.
#[derive(Clone)]
pub struct Tracker {
    queue: Rc<RefCell<EventQueue>>,
    timer_pending: Rc<RefCell<bool>>,
    api: Rc<str>,
    site: Rc<str>,
}

impl Tracker {
    pub fn new(api: &str, site: &str) -> Tracker {
        Tracker { queue: Rc::default(), timer_pending: Rc::default(), api: api.into(), site: site.into() }
    }

    pub fn record(&self, event: wire::Event) {
        if !self.queue.borrow_mut().push(event) {
            return;
        }
        if self.queue.borrow().len() >= QUEUE_MAX {
            self.flush();
        } else if !*self.timer_pending.borrow() {
            *self.timer_pending.borrow_mut() = true;
            let tracker = self.clone();
            let callback = Closure::once_into_js(move || {
                *tracker.timer_pending.borrow_mut() = false;
                tracker.flush();
            });
            if let Some(window) = web_sys::window() {
                let _ = window
                    .set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), FLUSH_AFTER_MS);
            }
        }
    }

    /// Sends what is queued now (the panel closed, or the queue is full).
    pub fn flush(&self) {
        let Some(batch) = self.queue.borrow_mut().take_batch() else {
            return;
        };
        crate::api::post_events(&self.api, &self.site, &batch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> wire::Event {
        event_at(wire::EventKind::PanelOpen, &PageContext::new("/claims/new?id=7#x", Some("de".into())))
    }

    #[test]
    fn events_carry_where_but_not_the_query_string() {
        let event = event();
        assert_eq!(event.path.as_deref(), Some("/claims/new"));
        assert_eq!(event.locale.as_deref(), Some("de"));
    }

    #[test]
    fn a_full_queue_drops_new_events_and_batches_empty_it() {
        let mut queue = EventQueue::default();
        for _ in 0..QUEUE_MAX {
            assert!(queue.push(event()));
        }
        assert!(!queue.push(event()));
        assert_eq!(queue.dropped, 1);
        let batch = queue.take_batch().unwrap();
        assert_eq!(batch.events.len(), QUEUE_MAX);
        assert!(queue.is_empty() && queue.take_batch().is_none());
    }
}
