import { describe, expect, it } from "vitest";
import { Random } from "@/chaos/random";

describe("the seeded generator", () => {
  it("gives the same choices for the same seed, and others for another", () => {
    const draw = (seed: number) =>
      Array.from(
        { length: 20 },
        (
          (r) => () =>
            r.int(0, 1_000_000)
        )(new Random(seed)),
      );
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it("forks streams that do not move when another stream draws more", () => {
    const a = new Random(7);
    const b = new Random(7);
    const [a1, a2] = [a.fork("client-1"), a.fork("client-2")];
    const [b1, b2] = [b.fork("client-1"), b.fork("client-2")];
    for (let i = 0; i < 50; i++) a1.next(); // one client makes many more choices in one run than in the other
    expect(Array.from({ length: 5 }, () => a2.next())).toEqual(Array.from({ length: 5 }, () => b2.next()));
    expect(a1.fork("x").next()).not.toEqual(b1.fork("x").next()); // a fork follows its parent's draws so far
  });

  it("stays within its bounds and honours weights", () => {
    const r = new Random(1);
    const ints = Array.from({ length: 1000 }, () => r.int(3, 5));
    expect(new Set(ints)).toEqual(new Set([3, 4, 5]));
    const picks = Array.from({ length: 2000 }, () =>
      r.weighted([
        ["rare", 1],
        ["common", 9],
      ] as const),
    );
    const rare = picks.filter((p) => p === "rare").length;
    expect(rare).toBeGreaterThan(100);
    expect(rare).toBeLessThan(300);
  });
});
