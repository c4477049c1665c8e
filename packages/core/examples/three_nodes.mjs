import { NodeId, RaftNode } from "raftbare-ts-core";

// Three nodes in one process. The "network" is a queue of messages; storage is the node's own memory.
const ids = ["n1", "n2", "n3"].map((name) => NodeId.of(name));
const nodes = new Map(ids.map((id) => [id, RaftNode.start(id)]));
const network = [];
const down = new Set(); // nodes that receive nothing

// Performs a node's pending actions.
function drain(node) {
  for (const action of node.actions) {
    if (action.type === "BroadcastMessage") {
      for (const to of node.peers) if (!action.except?.includes(to)) network.push({ to, message: action.message });
    } else if (action.type === "SendMessage") {
      network.push({ to: action.destination, message: action.message });
    }
    // A real runtime also persists SaveCurrentTerm, SaveVotedFor and AppendLogEntries (before the
    // messages leave), re-arms its timer on SetElectionTimeout and ships snapshots on InstallSnapshot.
  }
}

// Delivers messages until the network is quiet.
function deliverAll() {
  for (let msg = network.shift(); msg !== undefined; msg = network.shift()) {
    if (down.has(msg.to)) continue;
    const node = nodes.get(msg.to);
    node.handleMessage(msg.message);
    drain(node);
  }
}

// Proposes a command on the leader and runs the cluster until the followers know it committed.
function commit(leader, command) {
  const proposed = leader.proposeCommand(command);
  drain(leader);
  deliverAll();
  leader.heartbeat(); // tells the followers the new commit index
  drain(leader);
  deliverAll();
  const status = leader.getCommitStatus(proposed.position);
  console.log(`${command}: ${status} at index ${proposed.position.index}`);
}

const [n1, n2, n3] = ids.map((id) => nodes.get(id));
n1.createCluster(ids); // n1 campaigns for term 1; n2 and n3 vote for it
drain(n1);
deliverAll();
console.log(`leader: ${n1.id} in term ${n1.currentTerm}`);
commit(n1, "x=1");

down.add(n1.id); // n1 stops; n2's election timer fires first
n2.handleElectionTimeout();
drain(n2);
deliverAll();
console.log(`leader: ${n2.id} in term ${n2.currentTerm}`);
commit(n2, "x=2");
console.log(`commit index: n1 ${n1.commitIndex}, n2 ${n2.commitIndex}, n3 ${n3.commitIndex}`);

// Each node applies the committed commands of its log, in order, to its state machine.
const applied = [];
for (let index = 1; index <= n3.commitIndex; index++) {
  const entry = n3.log.entries.getEntry(index);
  if (entry?.kind === "command") applied.push(entry.data);
}
console.log(`n3 applies: ${applied.join(", ")}`);
