//! Group commit of dossier creations (issue 4: submissions per second).
//!
//! `Store::dossier_create` does not open its own transaction: it queues the creation for the
//! store's one writer task and waits for the answer. The writer takes whatever is waiting (up to
//! `max` creations) and commits it in **one** transaction: the audit head is read once (which
//! takes the write lock), every creation appends its audit entry chained to the previous one
//! and draws its agency's day counter, in queue order, and the head is written once at the end.
//! Each creation runs inside its own savepoint, so one that fails (its builder refuses, a
//! constraint is violated) is rolled back alone — its audit entry and its counter with it, so
//! the chain has no gap and the codes stay consecutive — and only that caller gets the error.
//! Every caller is answered after the commit has returned, i.e. when its dossier is durable;
//! if the commit fails, every caller of the batch gets the error and nothing is stored.
//!
//! With `max <= 1` (or outside a tokio runtime) creations take the old path: one transaction
//! each, in the caller's task.

use cqdt_app::store::{AuditDraft, DossierBuilder, DossierRecord, NewDossierFiles};
use cqdt_app::{AppError, AppResult};
use cqdt_domain::ids::AgencyId;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tokio::sync::{OwnedMutexGuard, mpsc, oneshot};

/// How many dossier creations one transaction takes at most, by default.
pub const DEFAULT_GROUP_COMMIT: usize = 64;

/// One queued dossier creation (the arguments of `Store::dossier_create`).
pub(crate) struct Job {
    pub agency_id: AgencyId,
    pub day: chrono::NaiveDate,
    pub audit: AuditDraft,
    pub files: NewDossierFiles,
    pub build: DossierBuilder<'static>,
    pub reply: oneshot::Sender<AppResult<DossierRecord>>,
}

/// What the writer task shares with the store (not the sender: when the store is dropped the
/// channel closes and the task ends).
pub(crate) struct Shared {
    pub max: usize,
    /// Held by the writer while it commits a batch; `GroupCommit::hold` lets tests hold it.
    gate: Arc<tokio::sync::Mutex<()>>,
    /// Creations queued and not yet answered.
    waiting: AtomicUsize,
    batches: AtomicU64,
    items: AtomicU64,
    largest: AtomicUsize,
}

/// Counters of the group committer since the store was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct GroupCommitStats {
    /// Transactions the writer committed (or tried to).
    pub batches: u64,
    /// Dossier creations they carried (failed ones included).
    pub items: u64,
    /// The most creations in one transaction.
    pub largest: usize,
}

/// The queue in front of a store's writer task.
pub struct GroupCommit {
    sender: Mutex<Option<mpsc::UnboundedSender<Job>>>,
    shared: Arc<Shared>,
}

impl GroupCommit {
    pub fn new(max: usize) -> Arc<GroupCommit> {
        Arc::new(GroupCommit {
            sender: Mutex::new(None),
            shared: Arc::new(Shared {
                max,
                gate: Arc::new(tokio::sync::Mutex::new(())),
                waiting: AtomicUsize::new(0),
                batches: AtomicU64::new(0),
                items: AtomicU64::new(0),
                largest: AtomicUsize::new(0),
            }),
        })
    }

    /// Whether creations are batched (more than one per transaction allowed, and a runtime to
    /// run the writer on).
    pub(crate) fn enabled(&self) -> bool {
        self.shared.max > 1 && tokio::runtime::Handle::try_current().is_ok()
    }

    /// The most creations per transaction.
    pub fn max_batch(&self) -> usize {
        self.shared.max
    }

    /// Creations queued and not yet answered.
    pub fn waiting(&self) -> usize {
        self.shared.waiting.load(Ordering::SeqCst)
    }

    pub fn stats(&self) -> GroupCommitStats {
        GroupCommitStats {
            batches: self.shared.batches.load(Ordering::SeqCst),
            items: self.shared.items.load(Ordering::SeqCst),
            largest: self.shared.largest.load(Ordering::SeqCst),
        }
    }

    /// Stops the writer from starting a batch until the guard is dropped (tests use it to make
    /// several creations land in one transaction).
    pub async fn hold(&self) -> OwnedMutexGuard<()> {
        self.shared.gate.clone().lock_owned().await
    }

    /// Queues a job; `spawn` starts a writer task on the receiver when none is running (first
    /// use, or the previous one's runtime has gone).
    pub(crate) fn queue(
        &self,
        job: Job,
        spawn: impl FnOnce(mpsc::UnboundedReceiver<Job>, Arc<Shared>),
    ) -> AppResult<()> {
        let mut sender = self
            .sender
            .lock()
            .map_err(|_| AppError::internal("group commit queue poisoned"))?;
        self.shared.waiting.fetch_add(1, Ordering::SeqCst);
        let job = match sender.as_ref() {
            Some(s) => match s.send(job) {
                Ok(()) => return Ok(()),
                Err(mpsc::error::SendError(job)) => job,
            },
            None => job,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        spawn(rx, self.shared.clone());
        let sent = tx.send(job).is_ok();
        *sender = Some(tx);
        if sent {
            Ok(())
        } else {
            self.shared.waiting.fetch_sub(1, Ordering::SeqCst);
            Err(AppError::internal("group commit writer did not start"))
        }
    }
}

impl Shared {
    /// Waits for the next job, then takes whatever else is waiting (up to `max`), holding the
    /// gate while the batch is committed.
    pub(crate) async fn next_batch(
        &self,
        rx: &mut mpsc::UnboundedReceiver<Job>,
    ) -> Option<(Vec<Job>, OwnedMutexGuard<()>)> {
        let first = rx.recv().await?;
        let gate = self.gate.clone().lock_owned().await;
        let mut batch = vec![first];
        while batch.len() < self.max {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        self.batches.fetch_add(1, Ordering::SeqCst);
        self.items.fetch_add(batch.len() as u64, Ordering::SeqCst);
        self.largest.fetch_max(batch.len(), Ordering::SeqCst);
        Some((batch, gate))
    }

    /// Answers one caller.
    pub(crate) fn answer(
        &self,
        reply: oneshot::Sender<AppResult<DossierRecord>>,
        result: AppResult<DossierRecord>,
    ) {
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        // The caller may have gone (its request was cancelled): its dossier stays stored, as
        // with a client that disconnects after any commit.
        let _ = reply.send(result);
    }
}
