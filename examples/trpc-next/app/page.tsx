export default function Home() {
  return (
    <main>
      <h1>Notes</h1>
      <p>
        POST <code>/api/trpc/note.create</code> with <code>{`{"idempotencyKey":"k1","text":"hello"}`}</code>; the same key again is answered from the stored
        outcome.
      </p>
    </main>
  );
}
