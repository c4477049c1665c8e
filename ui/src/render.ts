/**
 * Puts a {@link DashboardView} and the action results into the page. Rows are keyed by member id
 * and updated in place, so buttons under the pointer are not replaced by every poll.
 */
import type { ResultEntry } from "./action_results.ts";
import type { DashboardView, MemberRow, UiState } from "./dashboard_view.ts";
import { byId, el, setAttr, setText } from "./dom.ts";
import { clockTime } from "./format.ts";

/** The page's elements the dashboard writes to. */
export interface PageElements {
  readonly connection: HTMLElement;
  readonly elsewhere: HTMLElement;
  readonly authPrompt: HTMLElement;
  readonly tokenState: HTMLElement;
  readonly leader: HTMLElement;
  readonly nodeFacts: HTMLElement;
  readonly membersNote: HTMLElement;
  readonly membersTable: HTMLTableElement;
  readonly memberRows: HTMLTableSectionElement;
  readonly transferTarget: HTMLSelectElement;
  readonly results: HTMLOListElement;
  readonly adminButtons: readonly HTMLButtonElement[];
}

/** Finds the page's elements (throws if the HTML lacks one). */
export function pageElements(): PageElements {
  return {
    connection: byId("connection", HTMLElement),
    elsewhere: byId("elsewhere", HTMLElement),
    authPrompt: byId("auth-prompt", HTMLElement),
    tokenState: byId("token-state", HTMLElement),
    leader: byId("leader", HTMLElement),
    nodeFacts: byId("node-facts", HTMLElement),
    membersNote: byId("members-note", HTMLElement),
    membersTable: byId("members", HTMLTableElement),
    memberRows: byId("member-rows", HTMLTableSectionElement),
    transferTarget: byId("transfer-target", HTMLSelectElement),
    results: byId("results", HTMLOListElement),
    adminButtons: [...document.querySelectorAll<HTMLButtonElement>("button.admin")],
  };
}

/** Renders the polled data. */
export function renderView(page: PageElements, view: DashboardView, ui: UiState): void {
  setAttr(page.connection, "data-state", view.connection.state);
  setText(page.connection, view.connection.text);
  renderElsewhere(page.elsewhere, view.elsewhere);
  setAttr(page.leader, "data-leader", view.leader.id ?? "");
  setText(page.leader, view.leader.text);
  renderFacts(page.nodeFacts, view.node);
  setAttr(page.nodeFacts, "data-stale", String(view.connection.state !== "live"));
  setText(page.membersNote, view.members.note);
  setAttr(page.membersTable, "data-source", view.members.source);
  setAttr(page.membersTable, "data-stale", String(view.members.stale));
  renderRows(page.memberRows, view.members.rows, ui);
  renderTransferTargets(page.transferTarget, view.transferTargets);
  for (const button of page.adminButtons) button.disabled = ui.busy;
}

/** Links to the other members' dashboards (hidden when there are none to offer). */
function renderElsewhere(box: HTMLElement, links: DashboardView["elsewhere"]): void {
  const key = JSON.stringify(links);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.hidden = links.length === 0;
  const anchors = links.flatMap((l, i) => [...(i > 0 ? [", "] : []), el("a", { href: l.href }, [l.id])]);
  box.replaceChildren(...(links.length === 0 ? [] : ["Open the dashboard on another member: ", ...anchors]));
}

/** Shows the token prompt (null hides it) and what the page does with the token. */
export function renderAuth(page: PageElements, prompt: string | null, tokenState: string): void {
  page.authPrompt.hidden = prompt === null;
  setText(page.authPrompt, prompt ?? "");
  setText(page.tokenState, tokenState);
}

function renderFacts(list: HTMLElement, facts: DashboardView["node"]): void {
  const key = JSON.stringify(facts);
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(...facts.flatMap(([label, value]) => [el("dt", {}, [label]), el("dd", {}, [value])]));
}

/** Brings the table's rows in line with `rows`: same order, updated cells, new and removed members. */
function renderRows(body: HTMLTableSectionElement, rows: readonly MemberRow[], ui: UiState): void {
  const existing = new Map<string, HTMLTableRowElement>();
  for (const tr of body.rows) existing.set(tr.dataset.member ?? "", tr);
  rows.forEach((row, i) => {
    const tr = existing.get(row.id) ?? newRow(row.id);
    existing.delete(row.id);
    updateRow(tr, row, ui);
    if (body.rows[i] !== tr) body.insertBefore(tr, body.rows[i] ?? null);
  });
  for (const stale of existing.values()) stale.remove();
}

const CELLS = 8;

function newRow(id: string): HTMLTableRowElement {
  const tr = el("tr", { "data-member": id });
  for (let i = 0; i < CELLS; i++) tr.append(el("td"));
  return tr;
}

function updateRow(tr: HTMLTableRowElement, row: MemberRow, ui: UiState): void {
  setAttr(tr, "data-leader", String(row.isLeader));
  setAttr(tr, "data-this-node", String(row.isThisNode));
  setAttr(tr, "data-role", row.role);
  const role = row.promotionPending ? `${row.roleText} (promoted once caught up)` : row.roleText;
  const texts = [row.id, row.url, role, row.matchIndex, row.lag, row.lastContact, row.reachable];
  for (const [i, text] of texts.entries()) setText(tr.cells[i], text);
  setAttr(tr.cells[6], "data-reachable", row.reachable);
  renderRowActions(tr.cells[7], row, ui);
}

/** The row's buttons: transfer to it, promote it, remove it (with an inline confirmation). */
function renderRowActions(cell: HTMLTableCellElement, row: MemberRow, ui: UiState): void {
  const confirming = ui.confirmRemove === row.id;
  const key = JSON.stringify([row.role, row.isLeader, confirming, ui.busy]);
  if (cell.dataset.key === key) {
    return; // Unchanged: keep the buttons (and a half-done click on them).
  }
  cell.dataset.key = key;
  const button = (action: string, text: string) =>
    el("button", { type: "button", class: "admin", "data-action": action, "data-member": row.id }, [text]);
  const buttons: Array<HTMLElement> = [];
  if (confirming) {
    const force = el("input", { type: "checkbox", "data-force-for": row.id });
    buttons.push(el("span", {}, [`Remove ${row.id}?`]), el("label", {}, [force, " force"]));
    buttons.push(button("remove-confirm", "Yes, remove"), button("remove-cancel", "Cancel"));
  } else {
    if (row.role === "voter" && !row.isLeader) buttons.push(button("transfer-to", "Make leader"));
    if (row.role === "learner") buttons.push(button("promote", "Promote"));
    buttons.push(button("remove-ask", "Remove"));
  }
  for (const b of buttons) if (b instanceof HTMLButtonElement) b.disabled = ui.busy;
  cell.replaceChildren(el("div", { class: "row-actions" }, buttons));
}

/** Keeps the first option ("the most caught-up voter") and one option per possible target. */
function renderTransferTargets(select: HTMLSelectElement, targets: readonly string[]): void {
  const key = JSON.stringify(targets);
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  const chosen = select.value;
  const first = select.options[0];
  select.replaceChildren(first, ...targets.map((id) => el("option", { value: id }, [id])));
  select.value = targets.includes(chosen) ? chosen : "";
}

/** Renders the results list, newest first. */
export function renderResults(list: HTMLOListElement, entries: readonly ResultEntry[]): void {
  const key = JSON.stringify(entries);
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(...entries.map(resultItem));
}

function resultItem(entry: ResultEntry): HTMLLIElement {
  const head = el("div", {}, [el("strong", {}, [entry.action]), ` — ${clockTime(entry.at)}`]);
  const summary = el("div", { class: entry.code === undefined ? "summary" : "summary code" }, [entry.summary]);
  const parts: HTMLElement[] = [head, summary];
  if (entry.definite !== undefined) parts.push(el("div", { class: "definite" }, [entry.definite]));
  if (entry.hint !== undefined) parts.push(el("div", { class: "hint" }, [entry.hint]));
  const attrs: Record<string, string> = { "data-outcome": entry.outcome, "data-seq": String(entry.seq) };
  if (entry.code !== undefined) attrs["data-code"] = entry.code;
  return el("li", attrs, parts);
}
