//! The reference side of `scripts/bench_core.ts`: three raftbare 0.1.1 nodes in one thread, driven
//! exactly as the TypeScript benchmark drives the project's core.
//!
//! - Messages go into one FIFO queue and are delivered at once with `handle_message`; a broadcast
//!   is cloned to each of the two peers.
//! - Terms and votes are stored in variables; `AppendLogEntries` truncates the node's stored log to
//!   the entries' previous index, then pushes one value per entry.
//! - Every node compacts (`handle_snapshot_installed` at its commit position) once 10,000 committed
//!   entries follow its snapshot, and trims its stored log, as the TypeScript side does.
//! - Mode "one at a time" proposes one command and delivers until it commits; mode "batch"
//!   proposes B commands, then delivers. Every batch must have committed, and at the end every
//!   node must have stored exactly `commands + 2` entries (the config and the leader's term entry).
//!
//! Usage: `bench_core_ref <commands> <batch> <runs>`. Prints one JSON line per run:
//! `{"commands":N,"batch":B,"nsPerCommand":X}`.

use raftbare::{Action, LogEntry, LogIndex, Message, Node, NodeId};
use std::collections::VecDeque;
use std::time::Instant;

/// A node compacts its log once this many committed entries follow its snapshot.
const COMPACT_EVERY: u64 = 10_000;

/// What a node has written to its (in-memory) storage.
struct Stored {
    /// One value per stored entry after `base` (1 for a command, 0 otherwise).
    values: Vec<u64>,
    base: u64,
    term: u64,
    voted_for: Option<u64>,
}

struct Cluster {
    nodes: Vec<Node>,
    stored: Vec<Stored>,
    queue: VecDeque<(usize, Message)>,
}

impl Cluster {
    fn new() -> Self {
        let ids: Vec<NodeId> = (0..3).map(NodeId::new).collect();
        let mut nodes: Vec<Node> = ids.iter().map(|&id| Node::start(id)).collect();
        let stored = (0..3)
            .map(|_| Stored {
                values: Vec::new(),
                base: 0,
                term: 0,
                voted_for: None,
            })
            .collect();
        let promise = nodes[0].create_cluster(&ids);
        assert!(promise.is_pending(), "bench setup: create_cluster refused");
        let mut cluster = Self {
            nodes,
            stored,
            queue: VecDeque::new(),
        };
        cluster.deliver();
        assert!(
            cluster.nodes[0].role().is_leader(),
            "bench setup: node 0 did not become leader"
        );
        cluster
    }

    /// Executes a node's pending actions.
    fn drain(&mut self, i: usize) {
        let Self {
            nodes,
            stored,
            queue,
        } = self;
        let node = &mut nodes[i];
        let stored = &mut stored[i];
        let term = node.current_term().get();
        let voted_for = node.voted_for().map(NodeId::get);
        for action in node.actions_mut() {
            match action {
                Action::SaveCurrentTerm => stored.term = term,
                Action::SaveVotedFor => stored.voted_for = voted_for,
                Action::AppendLogEntries(entries) => {
                    let prev = entries.prev_position().index.get();
                    assert!(prev >= stored.base, "append below the snapshot");
                    stored.values.truncate((prev - stored.base) as usize);
                    for entry in entries.iter() {
                        stored
                            .values
                            .push(u64::from(matches!(entry, LogEntry::Command)));
                    }
                }
                Action::BroadcastMessage(message) => {
                    for peer in 0..3 {
                        if peer != i {
                            queue.push_back((peer, message.clone()));
                        }
                    }
                }
                Action::SendMessage(destination, message) => {
                    queue.push_back((destination.get() as usize, message));
                }
                Action::SetElectionTimeout | Action::InstallSnapshot(_) => {}
            }
        }
    }

    /// Delivers messages until the network is quiet.
    fn deliver(&mut self) {
        for i in 0..3 {
            self.drain(i);
        }
        while let Some((to, message)) = self.queue.pop_front() {
            self.nodes[to].handle_message(message);
            self.drain(to);
        }
    }

    /// Snapshots at the commit index and trims the stored log.
    fn compact(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        if node.commit_index().get() - node.log().snapshot_position().index.get() < COMPACT_EVERY {
            return;
        }
        let (position, config) = node.commit_position_and_config();
        let config = config.clone();
        assert!(
            node.handle_snapshot_installed(position, config),
            "node {i} could not compact"
        );
        let stored = &mut self.stored[i];
        let at = position.index.get();
        stored.values.drain(..(at - stored.base) as usize);
        stored.base = at;
    }
}

/// Runs one mode and returns nanoseconds per committed command.
fn run_mode(commands: u64, batch: u64) -> f64 {
    let mut cluster = Cluster::new();
    let start = Instant::now();
    let mut done = 0;
    while done < commands {
        let mut promise = None;
        for _ in 0..batch {
            let p = cluster.nodes[0].propose_command();
            assert!(!p.is_rejected(), "proposal refused");
            promise = Some(p);
        }
        cluster.deliver();
        let mut promise = promise.expect("a batch of at least one");
        assert!(
            promise.poll(&cluster.nodes[0]).is_accepted(),
            "batch did not commit"
        );
        for i in 0..3 {
            cluster.compact(i);
        }
        done += batch;
    }
    let elapsed = start.elapsed();
    verify(&cluster, done);
    elapsed.as_nanos() as f64 / done as f64
}

fn verify(cluster: &Cluster, commands: u64) {
    for (i, stored) in cluster.stored.iter().enumerate() {
        let total = stored.base + stored.values.len() as u64;
        assert_eq!(total, commands + 2, "node {i} stored {total} entries");
        assert_eq!(stored.term, cluster.nodes[i].current_term().get());
    }
    assert_eq!(cluster.nodes[0].commit_index(), LogIndex::new(commands + 2));
}

fn arg(args: &[String], i: usize, fallback: u64) -> u64 {
    args.get(i)
        .map_or(fallback, |s| s.parse().expect("a whole number"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let commands = arg(&args, 1, 1_000_000);
    let batch = arg(&args, 2, 1).max(1);
    let runs = arg(&args, 3, 1);
    let commands = commands.div_ceil(batch) * batch;
    run_mode(commands.min(100_000), batch); // warm-up
    for _ in 0..runs {
        let ns = run_mode(commands, batch);
        println!("{{\"commands\":{commands},\"batch\":{batch},\"nsPerCommand\":{ns:.1}}}");
    }
}
