// The README's PostgreSQL command (blocks of kind "postgres"), run as written against the test run's
// PostgreSQL server: its URL and port are replaced by a new test database's and a free one.
import { describe, expect, it } from "vitest";
import { startNode } from "../helpers/nodes.js";
import { testDatabaseUrl } from "../helpers/postgres.js";
import { readmeBlocks, shellCommands } from "../helpers/readme.js";
import { cvmClient } from "../helpers/server.js";

describe("README: tclocal on PostgreSQL", () => {
  const commands = readmeBlocks("postgres").flatMap((block) => shellCommands(block.code));

  it("has the command", () => {
    expect(commands.length).toBeGreaterThan(0);
  });

  for (const words of commands) {
    it(`\`${words.join(" ")}\` serves the API from PostgreSQL`, async () => {
      expect(words[0]).toBe("tclocal");
      const flags = words.slice(1);
      const database = flags.indexOf("--database");
      expect(flags[database + 1]).toMatch(/^postgres:\/\//);
      const url = await testDatabaseUrl();
      // The node helper passes --database and --port itself.
      const rest = flags.filter((_, i) => i !== database && i !== database + 1 && flags[i - 1] !== "--port" && flags[i] !== "--port");
      const node = await startNode(url, rest);
      try {
        const run = await cvmClient(node).RunInstances({ Placement: { Zone: "ap-guangzhou-3" }, ImageId: "img-l8og963d", InstanceType: "S5.MEDIUM2" });
        expect((await cvmClient(node).DescribeInstances({ InstanceIds: run.InstanceIdSet! })).TotalCount).toBe(1);
      } finally {
        await node.stop();
      }
    }, 30_000);
  }
});
