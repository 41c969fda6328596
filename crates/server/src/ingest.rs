//! Events at volume. Accepted batches wait in a bounded queue and one writer stores them
//! together: every request waiting when a write starts goes into the same transaction (group
//! commit), so a burst costs a few transactions rather than one per request. A request is
//! answered only once its events are committed — nothing acknowledged is ever lost — and when
//! the queue already holds its bound of events, the request is refused at once (the service
//! answers 503 with `Retry-After`) instead of the queue growing without bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use store::{EventBatch, Store};
use tokio::sync::{mpsc, oneshot};

/// Most events one transaction takes; more waiting go into the next.
const WRITE_EVENTS_MAX: usize = 5_000;

/// Why a batch was not stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The queue holds its bound of events: try again in a moment.
    #[error("the service is storing a burst of events; try again in a moment")]
    Full,
    #[error(transparent)]
    Store(#[from] store::Error),
    /// The transaction holding this batch with others failed for a reason no one batch causes
    /// (the database locked, full or gone): every batch in it fails alike.
    #[error("storing the events failed: {0}")]
    Write(String),
    /// The writer stopped (the service is shutting down).
    #[error("the event writer stopped")]
    Stopped,
}

struct Job {
    batch: EventBatch,
    done: oneshot::Sender<Result<usize, IngestError>>,
}

/// The queue and its writer; cheap to share.
#[derive(Debug)]
pub struct Ingest {
    jobs: mpsc::UnboundedSender<Job>,
    /// Events queued or being written.
    queued: Arc<AtomicUsize>,
    capacity: usize,
}

impl Ingest {
    /// Events that may wait at once (about 300 bytes each in memory).
    pub const DEFAULT_CAPACITY: usize = 20_000;

    /// Starts the writer (on the current tokio runtime) for `store`.
    pub fn start(store: Arc<dyn Store>, capacity: usize) -> Ingest {
        let (jobs, receiver) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        tokio::spawn(write(store, receiver, queued.clone()));
        Ingest { jobs, queued, capacity: capacity.max(1) }
    }

    /// Stores `batch` with whatever else is waiting; returns how many events were stored once
    /// they are committed.
    pub async fn record(&self, batch: EventBatch) -> Result<usize, IngestError> {
        let count = batch.events.len();
        if count == 0 {
            return Ok(0);
        }
        // Reserve room for the batch, or refuse it whole.
        let reserved = self.queued.fetch_update(Ordering::AcqRel, Ordering::Acquire, |queued| {
            (queued + count <= self.capacity || queued == 0).then_some(queued + count)
        });
        if reserved.is_err() {
            metrics::counter!("cuecard_events_total", "outcome" => "shed").increment(count as u64);
            return Err(IngestError::Full);
        }
        metrics::gauge!("cuecard_events_queued").set(self.queued.load(Ordering::Acquire) as f64);
        let (done, answer) = oneshot::channel();
        if self.jobs.send(Job { batch, done }).is_err() {
            self.queued.fetch_sub(count, Ordering::AcqRel);
            return Err(IngestError::Stopped);
        }
        answer.await.unwrap_or(Err(IngestError::Stopped))
    }

    /// Events queued or being written now.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }
}

/// The writer: takes every job waiting (up to [`WRITE_EVENTS_MAX`] events) and stores them in one
/// transaction. If that transaction fails, each job is tried alone, so one bad batch fails alone.
async fn write(store: Arc<dyn Store>, mut receiver: mpsc::UnboundedReceiver<Job>, queued: Arc<AtomicUsize>) {
    while let Some(first) = receiver.recv().await {
        let mut events = first.batch.events.len();
        let mut jobs = vec![first];
        while events < WRITE_EVENTS_MAX {
            let Ok(job) = receiver.try_recv() else {
                break;
            };
            events += job.batch.events.len();
            jobs.push(job);
        }
        let (batches, answers): (Vec<EventBatch>, Vec<_>) = jobs.into_iter().map(|job| (job.batch, job.done)).unzip();
        let counts: Vec<usize> = batches.iter().map(|batch| batch.events.len()).collect();
        let results = match store.record_event_batches(&batches).await {
            Ok(_) => counts.iter().map(|count| Ok(*count)).collect(),
            Err(error) if batches.len() == 1 => vec![Err(IngestError::Store(error))],
            // A batch the database refuses (a constraint): each is tried alone, so it fails alone.
            Err(error) if error.is_constraint() => {
                let mut results = Vec::with_capacity(batches.len());
                for batch in &batches {
                    let alone = store.record_event_batches(std::slice::from_ref(batch)).await;
                    results.push(alone.map_err(IngestError::Store));
                }
                results
            }
            // Anything else (locked, full, gone) would fail each one alone too, one after another.
            Err(error) => {
                let message = error.to_string();
                batches.iter().map(|_| Err(IngestError::Write(message.clone()))).collect()
            }
        };
        queued.fetch_sub(events, Ordering::AcqRel);
        metrics::gauge!("cuecard_events_queued").set(queued.load(Ordering::Acquire) as f64);
        metrics::counter!("cuecard_event_writes_total").increment(1);
        for (answer, result) in answers.into_iter().zip(results) {
            // The request may have gone (its client hung up): its events are stored all the same.
            let _ = answer.send(result);
        }
    }
}
