import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { Artifact } from "../bindings/Artifact";
import type { Verdict } from "../bindings/Verdict";
import { repoGit, sessionMake, triAgentRun, useDaemon } from "../test/daemon";
import VerdictView from "./VerdictView.svelte";

const d = useDaemon({ fakeClaude: true });

/** A tri-agent run on the stand-in Claude (changes requested once, then approved); its verdicts. */
async function run() {
  const name = d.unique("tri");
  const repo = d.daemon.repoMake(name, { "README.md": "# tri\n" });
  const session = await sessionMake(d.daemon.api, repo, name);
  await triAgentRun(d.daemon, session.id, "add a greeting");
  const listed = await d.backend.artifactList({ session: session.id });
  const verdicts = await Promise.all(listed.filter((a) => a.kind === "verdict").map((a) => d.backend.artifactGet(a.id)));
  const byKind = (kind: string) => {
    const artifact = verdicts.find((a) => (JSON.parse(a.body) as Verdict).verdict === kind)!;
    return { artifact, verdict: JSON.parse(artifact.body) as Verdict };
  };
  return { repo, session, approve: byKind("approve"), changes: byKind("request_changes") };
}

function show(v: { artifact: Artifact; verdict: Verdict }) {
  return render(VerdictView, { verdict: v.verdict, summary: v.artifact.summary, backend: d.backend, artifact: v.artifact });
}

describe("VerdictView", () => {
  it("offers to merge approved work with the task's title as message, and merges the edited one", async () => {
    const { repo, approve } = await run();
    show(approve);
    const row = await screen.findByTestId("verdict-merge-row");
    expect(row.textContent).toMatch(/The work of\s+implementer\S*\s+on\s+\S+\s+is approved/);
    await fireEvent.click(screen.getByTestId("verdict-merge"));
    const dialog = await screen.findByTestId("merge-dialog");
    expect(dialog.textContent).toContain("Merge approved work of implementer");
    const message = within(dialog).getByTestId("merge-message") as HTMLTextAreaElement;
    await waitFor(() => expect(message.value.split("\n")[0]).toBe("Implement: add a greeting"));
    expect(message.value).toContain("approved by review in round 2");
    const edited = "Add a greeting\n\nReviewed twice, approved.";
    await fireEvent.input(message, { target: { value: edited } });
    const confirm = within(dialog).getByTestId("merge-confirm") as HTMLButtonElement;
    await waitFor(() => expect(confirm.disabled).toBe(false));
    await fireEvent.click(confirm);
    await within(dialog).findByTestId("merge-result");
    expect(repoGit(repo, "log", "-1", "--format=%B", "main")).toBe(edited);
    await fireEvent.click(within(dialog).getByTestId("merge-done"));
    await waitFor(() => expect(screen.getByTestId("verdict-merge").textContent).toContain("Merge again"));
  }, 90_000);

  it("links a finding to its file and line in the reviewed agent's diff", async () => {
    const { changes } = await run();
    show(changes);
    const link = await screen.findByTestId("finding-link");
    expect(link.textContent).toBe("work-1.txt");
    expect(screen.queryByTestId("verdict-merge-row")).toBeNull();
    await fireEvent.click(link);
    const file = await screen.findByTestId("diff-file");
    expect(file.dataset.path).toBe("work-1.txt");
    const focused = file.querySelectorAll("tr.focused");
    expect(focused).toHaveLength(1);
    expect(focused[0]!.querySelectorAll("td")[1]!.textContent).toBe("1");
  }, 90_000);

  it("shows findings as text without a backend", () => {
    const verdict: Verdict = {
      verdict: "request_changes",
      findings: [{ file: "a.rs", line: 3, severity: "error", message: "off by one" }],
    };
    render(VerdictView, { verdict, summary: "round 1: changes requested" });
    expect(screen.queryByTestId("finding-link")).toBeNull();
    expect(screen.getByTestId("finding").textContent).toContain("a.rs");
  });
});
