import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { groupGone, signalGroup } from "./group.ts";

test("group: groupGone waits while a process of the group lives, and sees it gone once killed", async () => {
  // a leader that forks a member (the member outlives the leader, as a target's daemon would)
  const leader = spawn("sh", ["-c", "sleep 30 & wait"], { detached: true, stdio: "ignore" });
  try {
    assert.equal(await groupGone(leader.pid, 300), false, "the group is alive");
    const exited = new Promise((r) => leader.once("exit", r));
    assert.ok(signalGroup(leader.pid, "SIGKILL"));
    await exited;
    assert.equal(await groupGone(leader.pid, 10_000), true, "the group is gone after SIGKILL");
  } finally {
    signalGroup(leader.pid, "SIGKILL");
  }
  assert.equal(await groupGone(undefined), true);
});
