/**
 * The dashboard page's entry (bundled into ui/dist/app.js): a {@link Dashboard} over the client
 * package, talking to the node that served the page, wired to the page's forms and buttons.
 */
import { RaftClient } from "../../client/src/mod.ts";
import type { DashboardApi } from "./api.ts";
import { Dashboard, type DashboardSnapshot } from "./dashboard.ts";
import { byId } from "./dom.ts";
import { type PageElements, pageElements, renderAuth, renderResults, renderView } from "./render.ts";
import { sessionTokenStorage, TokenStore } from "./token_store.ts";

/** Per-attempt timeout of the polls: an answer later than this counts as none (the next poll asks again). */
const POLL_TIMEOUT_MS = 3_000;
/** Per-attempt timeout of the admin actions (membership changes may wait 10 s on the leader). */
const ACTION_TIMEOUT_MS = 20_000;

/**
 * The dashboard's calls through the client, to the node that served this page only: followers
 * forward to the leader, since the page may call no other origin (CORS and its content security
 * policy forbid it). So that no leader hint sends a call elsewhere, each call gets a fresh client
 * (one endpoint: nothing to remember between calls) whose fetch refuses other origins at once.
 */
function makeApi(token: string | null, purpose: "poll" | "action"): DashboardApi {
  const origin = window.location.origin;
  const poll = purpose === "poll";
  const sameOrigin = (request: Request): Promise<Response> =>
    new URL(request.url).origin === origin
      ? fetch(request)
      : Promise.reject(new TypeError(`the dashboard calls only ${origin}, not ${new URL(request.url).origin}`));
  const client = () =>
    new RaftClient({
      endpoints: [origin],
      token: token ?? undefined,
      routing: "forward",
      fetch: sameOrigin,
      timeoutMs: poll ? POLL_TIMEOUT_MS : ACTION_TIMEOUT_MS,
      // A poll is not retried (the next one comes within a second); an action gets the client's retries.
      attempts: poll ? 1 : 3,
    });
  const here = { endpoint: origin };
  return {
    status: () => client().status(here),
    members: () => client().members(),
    addMember: (member) => client().addMember(member),
    promoteMember: (id) => client().promoteMember(id),
    removeMember: (id, options) => client().removeMember(id, options),
    transferLeader: (target) => client().transferLeader(target),
    snapshot: () => client().snapshot(here),
  };
}

function render(page: PageElements, snapshot: DashboardSnapshot): void {
  renderView(page, snapshot.view, snapshot.ui);
  renderAuth(page, snapshot.authPrompt, snapshot.tokenState);
  renderResults(page.results, snapshot.results);
}

/** Connects the forms and the row buttons to `dashboard`. */
function wire(dashboard: Dashboard, page: PageElements): void {
  const token = byId("token", HTMLInputElement);
  const submit = (id: string, handler: () => void) =>
    byId(id, HTMLFormElement).addEventListener("submit", (event) => {
      event.preventDefault();
      handler();
    });
  submit("token-form", () => {
    dashboard.useToken(token.value);
    token.value = "";
  });
  byId("token-forget", HTMLButtonElement).addEventListener("click", () => dashboard.forgetToken());
  submit("transfer-form", () => void dashboard.transfer(page.transferTarget.value || null));
  submit("snapshot-form", () => void dashboard.snapshot());
  submit("add-form", () => {
    const id = byId("add-id", HTMLInputElement).value.trim();
    const url = byId("add-url", HTMLInputElement).value.trim();
    void dashboard.addMember(id, url, byId("add-learner", HTMLInputElement).checked);
  });
  page.memberRows.addEventListener("click", (event) => onRowClick(dashboard, page, event));
}

/** A click on a row's button: its `data-action` on its `data-member`. */
function onRowClick(dashboard: Dashboard, page: PageElements, event: MouseEvent): void {
  const button = event.target instanceof Element ? event.target.closest("button[data-action]") : null;
  if (!(button instanceof HTMLButtonElement)) return;
  const id = button.dataset.member ?? "";
  switch (button.dataset.action) {
    case "transfer-to":
      void dashboard.transfer(id);
      break;
    case "promote":
      void dashboard.promote(id);
      break;
    case "remove-ask":
      dashboard.askRemove(id);
      break;
    case "remove-cancel":
      dashboard.askRemove(null);
      break;
    case "remove-confirm": {
      const force = page.memberRows.querySelector(`input[data-force-for="${CSS.escape(id)}"]`);
      void dashboard.remove(id, force instanceof HTMLInputElement && force.checked);
      break;
    }
  }
}

function main(): void {
  const page = pageElements();
  const dashboard = new Dashboard({
    origin: window.location.origin,
    tokens: new TokenStore(sessionTokenStorage()),
    makeApi,
    render: (snapshot) => render(page, snapshot),
  });
  wire(dashboard, page);
  dashboard.start();
}

main();
