import { describe, expect, it } from "vitest";
import { FAULT_KINDS, optionsFromCommandLine } from "@/chaos/options";

describe("chaos options", () => {
  it("defaults to a minute, two instances, eight clients and every fault", () => {
    const options = optionsFromCommandLine([], {});
    expect(options).toMatchObject({ durationSeconds: 60, instances: 2, clients: 8, faults: [...FAULT_KINDS] });
  });

  it("takes CHAOS_* from the environment, and arguments over them", () => {
    const options = optionsFromCommandLine(["--duration", "15", "--seed", "7"], {
      CHAOS_DURATION: "90",
      CHAOS_INSTANCES: "3",
      CHAOS_FAULTS: "kill-app,restart-postgres",
    });
    expect(options).toMatchObject({ durationSeconds: 15, instances: 3, seed: 7, faults: ["kill-app", "restart-postgres"] });
    expect(optionsFromCommandLine(["--faults", "none"], {}).faults).toEqual([]);
  });

  it("refuses what it does not know, saying what it knows", () => {
    expect(() => optionsFromCommandLine(["--faults", "kill-everything"], {})).toThrow(/unknown faults kill-everything; known: kill-app/);
    expect(() => optionsFromCommandLine(["--instances", "0"], {})).toThrow(/Invalid chaos options/);
    expect(() => optionsFromCommandLine(["--speed", "9"], {})).toThrow();
  });
});
