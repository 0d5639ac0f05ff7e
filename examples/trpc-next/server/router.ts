import { idempotencyKeySchema } from "@oncepay/idempotency";
import { statement } from "@oncepay/idempotency/postgres";
import { z } from "zod";
import { idempotentProcedure, publicProcedure, router } from "./trpc";

const noteSchema = z.object({ id: z.number(), text: z.string(), createdAt: z.string() });
type NoteRow = { id: number; text: string; created_at: Date };

const INSERT_NOTE = statement("insert_note", "INSERT INTO notes (text) VALUES ($1) RETURNING id, text, created_at");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const appRouter = router({
  note: router({
    create: idempotentProcedure
      .meta({ operation: "note.create" })
      .input(
        z.object({
          idempotencyKey: idempotencyKeySchema,
          text: z.string().min(1).max(500),
          // Only here to make the effect slow enough for a duplicate to meet it in flight (the tests).
          delayMs: z.number().int().min(0).max(5000).optional(),
        }),
      )
      // The key is not part of what the call is about: the fingerprint covers the rest.
      .mutation(({ ctx, input: { idempotencyKey: _key, ...input } }) =>
        ctx.call({
          input,
          output: noteSchema,
          effect: async (tx, { input }) => {
            // Inside the transaction, so it holds PGlite's one connection meanwhile: fine for a demo.
            await sleep(input.delayMs ?? 0);
            const [row] = await tx.rows<NoteRow>(INSERT_NOTE, [input.text]);
            if (!row) throw new Error("INSERT … RETURNING gave no row");
            return { status: 201, body: { id: row.id, text: row.text, createdAt: row.created_at.toISOString() }, resourceId: String(row.id) };
          },
        }),
      ),
    list: publicProcedure.query(async ({ ctx }) => {
      const { rows } = await ctx.db.query<NoteRow>("SELECT id, text, created_at FROM notes ORDER BY id");
      return rows.map((row) => ({ id: row.id, text: row.text, createdAt: row.created_at.toISOString() }));
    }),
  }),
});

export type AppRouter = typeof appRouter;
